/**
 * Statements with parameters are named on PostgreSQL (src/store/database.ts: parsed once per
 * connection). A column added meanwhile (another instance's migration, in a rolling deploy) must
 * not break a `SELECT *` prepared before it: the statement is prepared again and answers the new
 * shape, at once outside a transaction, and from the next transaction on inside one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/database.js';
import { TEST_DATABASE_URL, TEST_DB } from '../helpers/database.js';

const skip = TEST_DB !== 'postgres' && 'named statements are a PostgreSQL matter (runs with TEST_DB=postgres)';

describe('named statements', { skip }, () => {
  const schema = `named_${randomBytes(4).toString('hex')}`;
  let db: Database;
  let admin: pg.Client;

  before(async () => {
    // One connection, so the statement prepared first is the one used again.
    db = await openDatabase({ url: TEST_DATABASE_URL, schema, poolMax: 1 });
    admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await db.exec('CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL)');
    await db.query('INSERT INTO widgets (id, name) VALUES ($1, $2), ($3, $4)', [1, 'one', 2, 'two']);
  });
  after(async () => {
    await db?.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  it('answers the same statement many times, and again after a column was added to its table', async () => {
    const select = 'SELECT * FROM widgets WHERE id = $1';
    for (let i = 0; i < 3; i++) assert.deepEqual((await db.query(select, [1])).rows, [{ id: 1, name: 'one' }]);
    await admin.query(`ALTER TABLE "${schema}".widgets ADD COLUMN colour text NOT NULL DEFAULT 'red'`);
    assert.deepEqual((await db.query(select, [2])).rows, [{ id: 2, name: 'two', colour: 'red' }]);

    const inside = 'SELECT * FROM widgets WHERE id = $1 AND name IS NOT NULL';
    await db.transaction((tx) => tx.query(inside, [1]));
    await admin.query(`ALTER TABLE "${schema}".widgets ADD COLUMN size int NOT NULL DEFAULT 3`);
    // Inside a transaction the refused statement fails that transaction, once; the next one is answered.
    await assert.rejects(db.transaction((tx) => tx.query(inside, [1])), /cached plan must not change result type/);
    const { rows } = await db.transaction((tx) => tx.query(inside, [1]));
    assert.deepEqual(rows, [{ id: 1, name: 'one', colour: 'red', size: 3 }]);
  });
});
