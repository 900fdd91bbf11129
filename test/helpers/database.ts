import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';

/** Which database the integration tests run on: TEST_DB=pglite (default) or TEST_DB=postgres. */
export const TEST_DB = process.env.TEST_DB === 'postgres' ? 'postgres' : 'pglite';
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  db: Database;
  /** How another process reaches the same data (a real PostgreSQL only). */
  url: string | null;
  schema: string | null;
  close(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: an in-memory PGlite, or a schema of its own on the
 * real PostgreSQL (dropped afterwards) so parallel runs never see each other's rows.
 */
export async function openTestDatabase(): Promise<TestDatabase> {
  if (TEST_DB === 'pglite') {
    const db = await openDatabase({ dataDir: 'memory://' });
    await migrate(db);
    return { db, url: null, schema: null, close: () => db.close() };
  }
  const schema = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  let db: Database;
  try {
    db = await openDatabase({ url: TEST_DATABASE_URL, schema, poolMax: 20 });
  } catch (error) {
    throw new Error(
      `TEST_DB=postgres but PostgreSQL at ${TEST_DATABASE_URL.replace(/\/\/[^@]*@/, '//')} does not answer (${(error as Error).message}). ` +
        'Start it, set TEST_DATABASE_URL, or run `npm run test:embedded`.',
    );
  }
  await migrate(db);
  return {
    db,
    url: TEST_DATABASE_URL,
    schema,
    async close() {
      await db.close();
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}
