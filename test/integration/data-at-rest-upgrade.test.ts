/**
 * A database from before encryption at rest: its clear names and emails are sealed by the boot
 * (before the first request) or by `npm run rotate-key`, in batches that a stop cuts short and the
 * next run finishes; the checks then refuse any clear value; the API answers the old rows as before.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { parseDataKeys } from '../../src/crypto/data-cipher.js';
import { startService } from '../../src/service.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { sealedValueCensus } from '../../src/store/sealed-columns.js';
import { Api, TEST_DATA_KEY } from '../helpers/app.js';
import { TEST_DATABASE_URL, TEST_DB } from '../helpers/database.js';
import { findStoredText } from '../helpers/stored-text.js';
import { adminToken, TEST_JWT_SECRET } from '../helpers/tokens.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const KEY_ID = parseDataKeys(TEST_DATA_KEY)[0]!.id;

interface LegacyCustomer {
  email: string;
  name: string;
  customerId: string;
  card: string;
  cardholder: string;
}

/**
 * A database migrated to 016 with clear rows in it, then to the latest: what an upgrade finds.
 * `env` reaches it from another process; `open` opens it again (PGlite: one process at a time).
 */
async function legacyDatabase(count: number): Promise<{ customers: LegacyCustomer[]; env: Record<string, string>; open(): Promise<Database>; drop(): Promise<void> }> {
  const schema = `test_legacy_${randomBytes(4).toString('hex')}`;
  const dir = TEST_DB === 'postgres' ? null : await mkdtemp(path.join(tmpdir(), 'payment-legacy-'));
  const open = () => openDatabase(dir ? { dataDir: dir } : { url: TEST_DATABASE_URL, schema, poolMax: 2 });
  const db = await open();
  await migrate(db, (await loadMigrations()).filter((m) => m.version <= 16));
  const customers: LegacyCustomer[] = [];
  for (let i = 0; i < count; i++) {
    const tag = randomBytes(4).toString('hex');
    const c = { email: `Legacy.${tag}@Example.com`, name: `Legacy Person ${tag}`, customerId: `cus_legacy${tag}`, card: `pm_legacy${tag}`, cardholder: `Legacy Holder ${tag}` };
    const id = randomUUID();
    await db.query('INSERT INTO customers (id, processor_customer_id, email, email_normalized, name) VALUES ($1, $2, $3, lower($3), $4)', [id, c.customerId, c.email, c.name]);
    await db.query("INSERT INTO payment_methods (id, customer_id, card_brand, card_last4, exp_month, exp_year, cardholder_name, is_default) VALUES ($1, $2, 'visa', '4242', 12, 2034, $3, true)", [c.card, id, c.cardholder]);
    customers.push(c);
  }
  const applied = await migrate(db);
  assert.equal(applied[0], '017_data_at_rest', `the upgrade starts at 017 (applied: ${applied.join(', ')})`);
  await db.close();
  return {
    customers,
    env: dir ? { DATA_DIR: dir } : { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema },
    open,
    async drop() {
      if (dir) return rm(dir, { recursive: true, force: true });
      const other = await open();
      await other.query(`DROP SCHEMA "${schema}" CASCADE`);
      await other.close();
    },
  };
}

const needlesOf = (customers: LegacyCustomer[]) => customers.flatMap((c) => [c.email, c.name, c.cardholder]);

describe('upgrading a database kept clear before encryption at rest', () => {
  it('the boot seals the old rows before it serves, and answers them as before', async () => {
    const legacy = await legacyDatabase(3);
    const service = await startService(
      loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, DATA_ENCRYPTION_KEY: TEST_DATA_KEY, PORT: '0', HOST: '127.0.0.1', RECONCILE_INTERVAL_MS: '0', ...legacy.env }),
    );
    try {
      const census = await sealedValueCensus(service.db);
      for (const column of ['customers.email', 'customers.name', 'payment_methods.cardholder_name']) assert.deepEqual(census[column], { [KEY_ID]: 3 }, column);
      assert.deepEqual(await findStoredText(service.db, needlesOf(legacy.customers)), []);
      const { rows } = await service.db.query<{ n: number }>('SELECT count(*)::int AS n FROM customers WHERE email_hmac IS NULL OR email_normalized IS NOT NULL');
      assert.equal(rows[0]!.n, 0, 'every row found by its hash now');
      // The checks hold for every row now, so they were validated; a clear value is refused.
      const { rows: checks } = await service.db.query<{ conname: string; convalidated: boolean }>(
        "SELECT conname, convalidated FROM pg_constraint WHERE conrelid IN ('customers'::regclass, 'payment_methods'::regclass) AND conname LIKE '%sealed' ORDER BY conname",
      );
      assert.deepEqual(checks.map((c) => [c.conname, c.convalidated]), [['customers_email_sealed', true], ['customers_name_sealed', true], ['payment_methods_cardholder_name_sealed', true]]);
      await assert.rejects(service.db.query("UPDATE customers SET name = 'Clear Again' WHERE processor_customer_id = $1", [legacy.customers[0]!.customerId]), /customers_name_sealed/);
      const api = new Api(service.app, { authorization: `Bearer ${await adminToken()}` });
      for (const c of legacy.customers) {
        assert.deepEqual((await api.get(`/payment/customer/${encodeURIComponent(c.email.toLowerCase())}`)).body, { success: true, data: { customerId: c.customerId } });
        const listed = await api.get(`/payment/payment-methods/${c.customerId}`);
        assert.equal(listed.body.data[0].cardholder_name, c.cardholder);
      }
      // A new customer with a legacy customer's email is that customer.
      const again = await api.post('/payment/customer', { email: legacy.customers[1]!.email.toUpperCase(), name: 'Someone Else' });
      assert.equal(again.status, 200);
      assert.equal(again.body.data.customerId, legacy.customers[1]!.customerId);
    } finally {
      await service.close();
      await legacy.drop();
    }
  });

  it('npm run rotate-key seals and re-encrypts in batches: stopped early it says so, run again it finishes', async () => {
    const legacy = await legacyDatabase(2);
    const newKey = randomBytes(32).toString('base64');
    const newKeyId = parseDataKeys(newKey)[0]!.id;
    const rotateKey = (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'src/cli/rotate-key.ts', ...args], {
        cwd: ROOT,
        timeout: 120_000,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', DATA_ENCRYPTION_KEY: `${newKey},${TEST_DATA_KEY}`, ...legacy.env },
      });
    try {
      const stopped = await rotateKey(['--batch-size', '1', '--max-batches', '3']).then(
        () => assert.fail('a run cut short exits non-zero'),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
      assert.equal(stopped.code, 3, stopped.stderr);
      assert.match(stopped.stdout, new RegExp(`^sealing under key ${newKeyId}; also opening ${KEY_ID}\\n`));
      assert.match(stopped.stdout, /\ncustomers: sealed 1 \(1 so far\)\ncustomers: sealed 1 \(2 so far\)\npayment_methods\.cardholder_name: sealed 1 \(1 so far\)\nafter:\n/);
      assert.match(stopped.stdout, /before:\n {2}customers\.email: 2 clear\n/);
      assert.match(stopped.stdout, /after:\n(.*\n)* {2}payment_methods\.cardholder_name: [^\n]*1 clear/);
      assert.match(stopped.stdout, /stopped before the end: run again to go on\n$/);

      const done = await rotateKey([]);
      assert.match(done.stdout, new RegExp(`done: every sealed value is under key ${newKeyId}; the keys after the first in DATA_ENCRYPTION_KEY may be removed\\n$`));
      assert.equal(done.stderr, '');
      const db = await legacy.open();
      try {
        const census = await sealedValueCensus(db);
        for (const column of ['customers.email', 'customers.name', 'payment_methods.cardholder_name', 'sealed_keys.sealed']) {
          assert.deepEqual(census[column], { [newKeyId]: column === 'sealed_keys.sealed' ? 1 : 2 }, column);
        }
        assert.deepEqual(await findStoredText(db, needlesOf(legacy.customers)), []);
      } finally {
        await db.close();
      }
      const refused = await rotateKey(['--batch-size', '0']).catch((error: { code: number; stderr: string }) => error);
      assert.deepEqual([(refused as { code: number }).code, (refused as { stderr: string }).stderr], [2, '--batch-size must be a whole number of at least 1 (got "0")\n']);
    } finally {
      await legacy.drop();
    }
  });
});
