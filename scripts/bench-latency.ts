/**
 * Latency bench: starts the real service (src/server.ts, simulated processor) in a child process
 * and loads each kind of request with autocannon over loopback, beside a baseline: GET /health,
 * which is the cost of HTTP, Fastify and the token check alone. What a route adds on top of the
 * baseline is the service's own cost (database round trips, the processor call).
 *
 *   npm run bench:latency -- [--seconds 5] [--connections 8] [--database-url postgres://...]
 *
 * Without --database-url it runs on the embedded database (a fresh PGlite in a temporary folder).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { mintUserToken } from '../src/auth/token-minter.js';
import { loadConfig } from '../src/config.js';
import { freePort, startServiceProcess } from './service-process.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '8' },
    'database-url': { type: 'string' },
    'log-level': { type: 'string', default: 'warn' },
  },
});
const SECONDS = Number(args.seconds);
const CONNECTIONS = Number(args.connections);
const JWT_SECRET = randomBytes(32).toString('base64url');

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  /** A fresh body per request (each payment its own order). */
  body?: () => unknown;
}

async function run(base: string, headers: Record<string, string>, scenario: Scenario) {
  const result = await autocannon({
    url: base,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: scenario.method,
        path: scenario.path,
        headers: { ...headers, ...(scenario.body ? { 'content-type': 'application/json' } : {}) },
        ...(scenario.body ? { setupRequest: (request: autocannon.Request) => ({ ...request, body: JSON.stringify(scenario.body!()) }) } : {}),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

async function main() {
  const dataDir = args['database-url'] ? null : await mkdtemp(path.join(tmpdir(), 'payment-bench-'));
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = args['database-url']
    ? { DATABASE_URL: args['database-url'], DATABASE_SCHEMA: schema }
    : { DATA_DIR: dataDir! };
  const port = await freePort();
  // The per-caller rate limits would answer most of the load 429 (one caller, thousands of requests):
  // off, so the bench measures the service. The simulated processor's events, sent to the service
  // itself, would be load of their own: off too.
  const child = await startServiceProcess(port, {
    JWT_SECRET, LOG_LEVEL: args['log-level']!, RECONCILE_INTERVAL_MS: '0', RATE_LIMIT_ENABLED: 'false', SIMULATED_WEBHOOKS: 'off', ...env,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    const token = await mintUserToken(loadConfig({ JWT_SECRET }).auth, { subject: 'latency-bench', roles: ['admin'], ttlSeconds: 3600 });
    const headers = { authorization: `Bearer ${token}` };
    const call = async (method: string, url: string, body?: unknown) => {
      const response = await fetch(`${base}${url}`, {
        method,
        headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return (await response.json()) as any;
    };
    const email = `bench-${randomUUID()}@example.com`;
    const customerId = (await call('POST', '/payment/customer', { email, name: 'Bench' })).data.customerId as string;
    const card = (await call('POST', '/payment/payment-method', { customerId, paymentMethodId: `pm_bench${randomBytes(6).toString('hex')}` })).data
      .payment_method_id as string;
    const paid = (await call('POST', '/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId: `order_${randomUUID()}` })).data;

    const scenarios: Scenario[] = [
      { name: 'GET /health (baseline: HTTP, no token)', method: 'GET', path: '/health' },
      { name: 'GET /payment/customer/:email', method: 'GET', path: `/payment/customer/${encodeURIComponent(email)}` },
      { name: 'GET /payment/payment-methods/:customerId', method: 'GET', path: `/payment/payment-methods/${customerId}` },
      { name: 'GET /payment/payment-intent/:id', method: 'GET', path: `/payment/payment-intent/${paid.payment_intent_id}` },
      {
        name: 'POST /payment/payment-intent (new order)',
        method: 'POST',
        path: '/payment/payment-intent',
        body: () => ({ amount: 2500, customerId, paymentMethodId: card, orderId: `order_${randomUUID()}` }),
      },
    ];
    console.log(`latency bench: ${CONNECTIONS} connections, ${SECONDS} s per route, ${args['database-url'] ? 'PostgreSQL' : 'embedded database'}, log level ${args['log-level']}`);
    console.log(`${'route'.padEnd(46)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'p50 over baseline'.padStart(18)} ${'failed'.padStart(7)}`);
    let baseline: number | null = null;
    for (const scenario of scenarios) {
      const r = await run(base, headers, scenario);
      // The first scenario is the baseline; a p50 of 0 ms is a baseline too.
      baseline ??= r.p50;
      const over = scenario === scenarios[0] ? '—' : `+${(r.p50 - baseline).toFixed(1)} ms`;
      console.log(
        `${scenario.name.padEnd(46)} ${r.requestsPerSecond.toFixed(0).padStart(8)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${over.padStart(18)} ${String(r.failures).padStart(7)}`,
      );
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    if (args['database-url']) {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: args['database-url'] });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
