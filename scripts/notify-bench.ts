/**
 * Notification bench: drives payments through the real service (src/server.ts, simulated
 * processor, PostgreSQL) while the Order Service (a loopback stub) fails a share of its calls at
 * random and is down for a while in the middle; then counts what the Order Service received:
 * exactly one PAYMENT RECEIVED per payment, none lost, none twice. The exit code says whether.
 *
 *   npm run bench:notify -- [--payments 1000] [--failure-rate 0.3] [--down-seconds 10] [--concurrency 20]
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { mintUserToken } from '../src/auth/token-minter.js';
import { loadConfig } from '../src/config.js';
import { OrderServiceStub } from '../test/stubs/order-service.js';
import { freePort, startServiceProcess } from './service-process.js';

const { values: args } = parseArgs({
  options: {
    payments: { type: 'string', default: '1000' },
    'failure-rate': { type: 'string', default: '0.3' },
    'down-seconds': { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '20' },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const PAYMENTS = Number(args.payments);
const FAILURE_RATE = Number(args['failure-rate']);
const DOWN_MS = Number(args['down-seconds']) * 1000;
const CONCURRENCY = Number(args.concurrency);
const DATABASE_URL = args['database-url']!;
const SCHEMA = `notify_${randomBytes(4).toString('hex')}`;
const JWT_SECRET = randomBytes(32).toString('base64url');

const stub = await OrderServiceStub.start();
stub.set({ kind: 'flaky', failureRate: FAILURE_RATE });
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
let child: ChildProcess | null = null;

try {
  child = await startServiceProcess(port, {
    DATABASE_URL,
    DATABASE_SCHEMA: SCHEMA,
    JWT_SECRET,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ORDER_SERVICE_URL: stub.url,
    RATE_LIMIT_ENABLED: 'false',
  });
  // The token the web app pays with carries the Order Service's scope, and is forwarded to it.
  const auth = loadConfig({ JWT_SECRET }).auth;
  const authorization = `Bearer ${await mintUserToken(auth, { subject: 'notify-bench', roles: ['admin'], scope: 'order.read order.write', ttlSeconds: 3600 })}`;
  const call = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as any };
  };
  const customer = await call('/payment/customer', { email: `notify-${randomUUID()}@example.com`, name: 'Bench' });
  const customerId = customer.body.data.customerId as string;
  const card = (await call('/payment/payment-method', { customerId, paymentMethodId: 'pm_card_visa' })).body.data.payment_method_id as string;

  const paidAt = new Map<string, number>();
  let next = 0;
  let outage: Promise<void> | null = null;
  const started = Date.now();
  const worker = async () => {
    while (next < PAYMENTS) {
      const i = next++;
      if (i === Math.floor(PAYMENTS / 2) && DOWN_MS > 0) {
        outage = (async () => {
          await stub.down();
          console.log(`Order Service down at payment ${i} for ${DOWN_MS / 1000} s`);
          await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
          await stub.up();
          console.log('Order Service up again');
        })();
      }
      const orderId = `order_${randomUUID()}`;
      const paid = await call('/payment/payment-intent', { amount: 1000 + (i % 500), currency: 'usd', customerId, paymentMethodId: card, orderId });
      if (paid.status !== 200) throw new Error(`payment ${i} answered ${paid.status}: ${JSON.stringify(paid.body)}`);
      paidAt.set(orderId, Date.now());
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const paymentsSeconds = (Date.now() - started) / 1000;
  await outage;

  const orders = [...paidAt.keys()];
  const deadline = Date.now() + 180_000;
  const receivedOrders = () => new Set(stub.received().filter((c) => c.status === 'PAYMENT RECEIVED').map((c) => c.orderId as string));
  while (receivedOrders().size < orders.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  await new Promise((resolve) => setTimeout(resolve, 2000)); // late duplicates would show by now

  const received = stub.received().filter((c) => c.status === 'PAYMENT RECEIVED' && paidAt.has(c.orderId as string));
  const unique = new Set(received.map((c) => c.orderId as string));
  const firstAt = new Map<string, number>();
  for (const c of received) if (!firstAt.has(c.orderId as string)) firstAt.set(c.orderId as string, c.at);
  const delays = [...firstAt].map(([orderId, at]) => at - paidAt.get(orderId)!).sort((a, b) => a - b);
  const pick = (q: number) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))] ?? 0;
  const lost = orders.length - unique.size;
  const duplicated = received.length - unique.size;
  const failedCalls = stub.calls.filter((c) => c.answer >= 500).length;

  console.log('');
  console.log(`payments made:                     ${orders.length} in ${paymentsSeconds.toFixed(1)} s (${CONCURRENCY} at a time)`);
  console.log(`Order Service calls:               ${stub.calls.length} (${failedCalls} answered 5xx at random, ${(FAILURE_RATE * 100).toFixed(0)} %; down ${DOWN_MS / 1000} s mid-run)`);
  console.log(`PAYMENT RECEIVED received:         ${received.length}`);
  console.log(`lost:                              ${lost}`);
  console.log(`duplicated:                        ${duplicated}`);
  console.log(`delay payment → notification:      p50 ${pick(0.5)} ms, p99 ${pick(0.99)} ms, slowest ${delays.at(-1) ?? 0} ms`);
  process.exitCode = lost === 0 && duplicated === 0 && received.length === PAYMENTS ? 0 : 1;
} finally {
  child?.kill('SIGTERM');
  await stub.close();
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  await client.end();
}
