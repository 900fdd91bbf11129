/**
 * Growth: the run's database filled, before the load, with 1e6 payments (two events each) and 1e6
 * idempotency keys by generate_series; after the load, 1,000 payments left unresolved (written,
 * never answered: a crash) and one reconciler pass over them timed, with the plan of its slowest
 * statement.
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createServices } from '../../src/app-services.js';
import { loadConfig } from '../../src/config.js';
import { createProcessor } from '../../src/processors/index.js';
import { openDatabase, type Database, type Queryable } from '../../src/store/database.js';

const SEED_CUSTOMER = '00000000-0000-4000-8000-000000000001';

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `rows` settled payments of one customer, two events each, and `rows` remembered keys. */
export async function seedGrowth(url: string, rows: number): Promise<void> {
  const started = performance.now();
  await withClient(url, async (client) => {
    // The customer's personal data is kept sealed (migration 017 refuses a clear value); nothing
    // opens the seed customer's, so a value of the sealed shape stands in for it.
    await client.query(`INSERT INTO customers (id, email, name) VALUES ($1, 'enc:v1:seed', NULL)`, [SEED_CUSTOMER]);
    await client.query(
      `INSERT INTO payments (id, processor, processor_payment_intent_id, customer_id, payment_method_id, order_id, amount, currency,
         status, amount_received, created_at, updated_at)
       SELECT gen_random_uuid(), 'simulated', 'pi_seed' || g, $1, 'pm_seed', 'order_seed_' || g, 1000, 'usd',
         'succeeded', 1000, now() - g * interval '1 second', now() - g * interval '1 second'
       FROM generate_series(1, $2::int) g`,
      [SEED_CUSTOMER, rows],
    );
    await client.query(
      `INSERT INTO payment_events (payment_id, from_status, to_status, source, created_at)
       SELECT p.id, s.from_status, s.to_status, 'seed', p.created_at
       FROM payments p CROSS JOIN (VALUES (NULL, 'unknown'), ('unknown', 'succeeded')) AS s (from_status, to_status)
       WHERE p.customer_id = $1`,
      [SEED_CUSTOMER],
    );
    // Younger than the keys' lifetime, so the reconciler's clean-up has nothing to delete.
    await client.query(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, state, response_status, response_body, created_at, completed_at)
       SELECT 'seed', 'key_' || g, 'seed', 'completed', 200, '{}', now() - (g % 36000) * interval '1 second', now()
       FROM generate_series(1, $1::int) g`,
      [rows],
    );
    await client.query('VACUUM ANALYZE');
  });
  console.log(`growth: seeded ${rows} payments, ${2 * rows} events, ${rows} keys in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

interface Timed {
  text: string;
  params: readonly unknown[] | undefined;
  ms: number;
}

/** The database with each statement's time kept. */
function timing(db: Database, timed: Timed[]): Database {
  const wrap = (target: Queryable): Queryable => ({
    query: async (text, params) => {
      const started = performance.now();
      try {
        return await target.query(text, params);
      } finally {
        timed.push({ text, params, ms: performance.now() - started });
      }
    },
    exec: (script) => target.exec(script),
  });
  return { kind: db.kind, ...wrap(db), transaction: (fn) => db.transaction((tx) => fn(wrap(tx))), close: () => db.close() };
}

/** Leaves 1,000 payments unresolved, times one reconciler pass, and explains its slowest statement. */
export async function growthNotes(url: string, env: Record<string, string>): Promise<string[]> {
  await withClient(url, (client) =>
    client.query(
      `INSERT INTO payments (id, processor, customer_id, payment_method_id, order_id, amount, currency, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'simulated', $1, 'pm_seed', 'order_unresolved_' || g, 1000, 'usd', 'unknown',
         now() - interval '1 hour', now() - interval '1 hour'
       FROM generate_series(1, 1000) g`,
      [SEED_CUSTOMER],
    ),
  );
  const config = loadConfig({ ...env, LOG_LEVEL: 'warn' });
  const opened = await openDatabase(config.database);
  const timed: Timed[] = [];
  const db = timing(opened, timed);
  const quiet = { info: () => {}, warn: () => {}, error: () => {} };
  try {
    const services = createServices(db, createProcessor(config, db, () => 'http://localhost'), quiet, config);
    const started = performance.now();
    const report = await services.reconciler.runOnce();
    const passMs = performance.now() - started;
    const slowestOf = (matching: (text: string) => boolean) => timed.filter((t) => matching(t.text)).sort((a, b) => b.ms - a.ms)[0];
    // The claim of unresolved payments (the query the growth is about), and whatever select was slowest.
    const claim = slowestOf((text) => /FROM payments p/.test(text) && /SKIP LOCKED/.test(text));
    const slowest = slowestOf((text) => /^\s*select/i.test(text));
    const explained: string[] = [];
    const shown: Array<[string, Timed | undefined]> = [['Its claim of unresolved payments', claim], ...(slowest !== claim ? [['Its slowest select', slowest] as [string, Timed | undefined]] : [])];
    for (const [title, statement] of shown) {
      if (!statement) continue;
      const plan = await explain(url, statement);
      explained.push(`${title} (slowest run ${statement.ms.toFixed(1)} ms):`, '', '```', statement.text.replace(/\n\s+/g, '\n  '), '', ...plan, '```', '');
    }
    return [
      `Reconciler pass over 1,000 unresolved payments (beside the seeded rows): ${passMs.toFixed(0)} ms, ` +
        `${report.payments} resolved, ${report.failures} failed, ${timed.length} statements.`,
      ...explained,
    ];
  } finally {
    await opened.close();
  }
}

/** EXPLAIN ANALYZE of a statement, inside a transaction that is rolled back. */
async function explain(url: string, statement: Timed): Promise<string[]> {
  return withClient(url, async (client) => {
    await client.query('BEGIN');
    try {
      const { rows } = await client.query(`EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) ${statement.text}`, statement.params as unknown[]);
      return rows.map((row) => row['QUERY PLAN'] as string);
    } finally {
      await client.query('ROLLBACK');
    }
  });
}
