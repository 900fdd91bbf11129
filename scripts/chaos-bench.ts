/**
 * Chaos bench: hammers the real service (src/server.ts, simulated processor, PostgreSQL) with
 * duplicate and concurrent payment and refund requests while killing it with SIGKILL at random,
 * then restarts it once more, lets the boot reconciliation run, and compares the processor's
 * ledger with ours. Mismatches and double charges must be 0; the exit code says whether they are.
 *
 *   npm run bench:chaos -- [--seconds 60] [--workers 12] [--database-url postgres://...]
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { mintUserToken } from '../src/auth/token-minter.js';
import { loadConfig } from '../src/config.js';
import { freePort, startServiceProcess } from './service-process.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    workers: { type: 'string', default: '12' },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    keep: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(args.seconds);
const WORKERS = Number(args.workers);
const DATABASE_URL = args['database-url']!;
const SCHEMA = `chaos_${randomBytes(4).toString('hex')}`;
const JWT_SECRET = randomBytes(32).toString('base64url');
let authorization = '';

const counts = { requests: 0, ok: 0, declinedOrConflict: 0, serverErrors: 0, unavailable: 0, connectionErrors: 0, kills: 0, latencies: [] as number[] };

let child: ChildProcess | null = null;
let base = '';

async function startServer(port: number): Promise<void> {
  base = `http://127.0.0.1:${port}`;
  child = await startServiceProcess(port, {
    DATABASE_URL,
    DATABASE_SCHEMA: SCHEMA,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    RECONCILE_GRACE_MS: '1000',
    RECONCILE_INTERVAL_MS: '2000',
    IDEMPOTENCY_LEASE_MS: '2000',
    // One caller's load: with the per-caller limits on, most requests were answered 429 and few
    // payments were made between the kills.
    RATE_LIMIT_ENABLED: 'false',
  });
}

function kill(): Promise<void> {
  const dying = child;
  if (!dying || dying.exitCode !== null) return Promise.resolve();
  counts.kills += 1;
  return new Promise((resolve) => {
    dying.once('exit', () => resolve());
    dying.kill('SIGKILL');
  });
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const started = performance.now();
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await response.json()) as any;
    if (path !== '/ready') counts.latencies.push(performance.now() - started);
    return { status: response.status, body: json };
  } catch {
    return { status: 0, body: null as any };
  }
}

/** A request sent until it gets a real answer, the way a careful client retries: same key every time. */
async function untilAnswered(method: string, path: string, body: unknown, headers: Record<string, string>, deadline: number) {
  for (;;) {
    const response = await call(method, path, body, headers);
    counts.requests += 1;
    if (response.status === 0) counts.connectionErrors += 1;
    else if (response.status >= 500) {
      counts.serverErrors += 1;
      // 503: the service restarting after a kill (it listens while it migrates and reconciles).
      if (response.status === 503) counts.unavailable += 1;
    }
    else if (response.status >= 400) counts.declinedOrConflict += 1;
    else counts.ok += 1;
    if ((response.status > 0 && response.status < 500) || Date.now() > deadline) return response;
    await sleep(150 + Math.random() * 300);
  }
}

async function worker(customers: Array<{ customerId: string; card: string }>, paid: string[], end: number) {
  while (Date.now() < end) {
    const { customerId, card } = customers[Math.floor(Math.random() * customers.length)]!;
    const orderId = `order_${randomUUID()}`;
    const body = { amount: 1000 + Math.floor(Math.random() * 9000), customerId, paymentMethodId: card, orderId };
    const scenario = Math.random();
    if (scenario < 0.5) {
      // The same request, sent several times at once with one key (a double-clicking client).
      const headers = { 'idempotency-key': randomUUID() };
      const answers = await Promise.all(Array.from({ length: 3 }, () => untilAnswered('POST', '/payment/payment-intent', body, headers, end + 20_000)));
      const id = answers.find((a) => a.status === 200)?.body.data.payment_intent_id;
      if (id) paid.push(id);
    } else if (scenario < 0.8) {
      // The same order from two clients without a key: the order itself must stop the second charge.
      await Promise.all(Array.from({ length: 2 }, () => untilAnswered('POST', '/payment/payment-intent', body, {}, end + 20_000)));
    } else if (paid.length > 0) {
      // Refunds of a random paid payment, duplicated, racing other refunds of it.
      const paymentIntentId = paid[Math.floor(Math.random() * paid.length)]!;
      const headers = { 'idempotency-key': randomUUID() };
      const refund = { paymentIntentId, amount: 100 + Math.floor(Math.random() * 900) };
      await Promise.all(Array.from({ length: 2 }, () => untilAnswered('POST', '/payment/refund', refund, headers, end + 20_000)));
    }
  }
}

async function report(db: pg.Client) {
  const one = async (sql: string) => Number((await db.query(sql)).rows[0].n);
  const sim = `(SELECT id, data FROM "${SCHEMA}".simulated_processor_objects WHERE type = 'payment_intent')`;
  const numbers = {
    'charges at the processor': await one(`SELECT count(*) AS n FROM ${sim} s WHERE s.data->>'status' = 'succeeded'`),
    'payments recorded as succeeded': await one(`SELECT count(*) AS n FROM "${SCHEMA}".payments WHERE status = 'succeeded'`),
    'payments still unknown': await one(`SELECT count(*) AS n FROM "${SCHEMA}".payments WHERE status = 'unknown'`),
    mismatches: await one(
      `SELECT count(*) AS n FROM ${sim} s
       LEFT JOIN "${SCHEMA}".payments p ON p.processor_payment_intent_id = s.id
       WHERE p.id IS NULL OR p.status <> s.data->>'status'`,
    ),
    'double charges': await one(
      `SELECT COALESCE(SUM(c - 1), 0) AS n FROM (
         SELECT count(*) AS c FROM ${sim} s WHERE s.data->>'status' = 'succeeded'
         GROUP BY s.data->'metadata'->>'order_id' HAVING count(*) > 1) d`,
    ),
    'refunds at the processor': await one(`SELECT count(*) AS n FROM "${SCHEMA}".simulated_processor_objects WHERE type = 'refund'`),
    'refunds recorded as succeeded': await one(`SELECT count(*) AS n FROM "${SCHEMA}".refunds WHERE status = 'succeeded'`),
    'refund mismatches': await one(
      `SELECT count(*) AS n FROM "${SCHEMA}".simulated_processor_objects s
       LEFT JOIN "${SCHEMA}".refunds r ON r.processor_refund_id = s.id
       WHERE s.type = 'refund' AND (r.id IS NULL OR r.status <> s.data->>'status')`,
    ),
    'over-refunded payments': await one(
      `SELECT count(*) AS n FROM "${SCHEMA}".payments p
       WHERE (SELECT COALESCE(SUM(amount), 0) FROM "${SCHEMA}".refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded') > p.amount_received`,
    ),
  };
  return numbers;
}

function percentile(values: number[], p: number) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main() {
  const auth = loadConfig({ JWT_SECRET }).auth;
  authorization = `Bearer ${await mintUserToken(auth, { subject: 'chaos-bench', roles: ['admin'], ttlSeconds: 3600 })}`;
  const port = await freePort();
  await startServer(port);
  const customers: Array<{ customerId: string; card: string }> = [];
  for (let i = 0; i < 10; i++) {
    const customer = await call('POST', '/payment/customer', { email: `chaos-${randomUUID()}@example.com`, name: 'Chaos' });
    const customerId = customer.body.data.customerId as string;
    const card = await call('POST', '/payment/payment-method', { customerId, paymentMethodId: `pm_chaos${randomBytes(6).toString('hex')}` });
    customers.push({ customerId, card: card.body.data.payment_method_id });
  }

  console.log(`chaos: ${WORKERS} workers for ${SECONDS} s, killing the service at random (schema ${SCHEMA})`);
  const end = Date.now() + SECONDS * 1000;
  const paid: string[] = [];
  const killer = (async () => {
    while (Date.now() < end) {
      await sleep(2000 + Math.random() * 5000);
      if (Date.now() >= end) break;
      await kill();
      await sleep(200);
      await startServer(port);
    }
  })();
  await Promise.all([killer, ...Array.from({ length: WORKERS }, () => worker(customers, paid, end))]);

  // One last crash, then a clean start: its boot reconciliation settles what the crashes left.
  await kill();
  await sleep(1500);
  await startServer(port);
  await sleep(4000);
  await kill();
  child = null;

  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  const numbers = await report(db);
  if (!args.keep) await db.query(`DROP SCHEMA "${SCHEMA}" CASCADE`);
  await db.end();

  const expected: Record<string, string> = { mismatches: '0', 'double charges': '0', 'refund mismatches': '0', 'over-refunded payments': '0', 'payments still unknown': '0' };
  console.log('\nreconciliation report                 value   must be');
  for (const [name, value] of Object.entries(numbers)) console.log(`  ${name.padEnd(34)} ${String(value).padStart(6)}   ${expected[name] ?? ''}`);
  console.log('\nload');
  console.log(`  requests ${counts.requests}, answered 2xx ${counts.ok}, 4xx ${counts.declinedOrConflict}, 5xx ${counts.serverErrors} (503 ${counts.unavailable}), connection errors ${counts.connectionErrors}, kills ${counts.kills}`);
  console.log(`  latency of answered requests: p50 ${percentile(counts.latencies, 50).toFixed(1)} ms, p99 ${percentile(counts.latencies, 99).toFixed(1)} ms`);
  const bad = numbers.mismatches + numbers['double charges'] + numbers['refund mismatches'] + numbers['over-refunded payments'] + numbers['payments still unknown'];
  console.log(bad === 0 ? '\nOK: the ledgers agree, nothing was charged twice.' : '\nFAILED: see the numbers above.');
  process.exit(bad === 0 ? 0 : 1);
}

main().catch(async (error) => {
  console.error(error);
  await kill();
  process.exit(1);
});
