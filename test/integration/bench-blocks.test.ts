/**
 * The bench's building blocks (scripts/bench/), run for a second each so `npm run bench` cannot rot
 * unnoticed: the ceiling server, the load runner, the fixtures and every scenario against the real
 * service on the test database, the round-trip count and the BENCHMARKS.md section. Speed is not
 * asserted (this machine is shared); answers are: no scenario may see an error.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { mintUserToken } from '../../src/auth/token-minter.js';
import { loadConfig } from '../../src/config.js';
import { buildCeiling } from '../../scripts/bench/ceiling-server.js';
import { ceilingRequests, makeFixtures, serviceScenarios } from '../../scripts/bench/fixtures.js';
import { runLoad } from '../../scripts/bench/load.js';
import { benchSection, writeBenchSection, type DatabaseReport } from '../../scripts/bench/report.js';
import { startCountedService } from '../../scripts/bench/round-trips.js';
import { benchServiceEnv } from '../../scripts/bench/targets.js';
import { openTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js';

const JWT_SECRET = randomBytes(32).toString('base64url');
const LOAD = { connections: 4, durationSeconds: 1, warmupSeconds: 0 };
let database: TestDatabase;

before(async () => {
  database = await openTestDatabase();
});
after(async () => {
  await database.close();
});

function databaseEnv(): Record<string, string> {
  return TEST_DB === 'postgres' ? { DATABASE_URL: database.url!, DATABASE_SCHEMA: database.schema! } : { DATA_DIR: 'memory://' };
}

test('the ceiling answers its select and its insert under load, without errors', async () => {
  const ceiling = await buildCeiling(
    TEST_DB === 'postgres' ? { url: database.url!, poolMax: 4, schema: database.schema! } : { dataDir: 'memory://' },
  );
  try {
    const url = await ceiling.app.listen({ port: 0, host: '127.0.0.1' });
    for (const request of Object.values(ceilingRequests())) {
      const result = await runLoad({ ...LOAD, url }, request);
      assert.ok(result.requests > 0, 'the ceiling answered requests');
      assert.equal(result.errors, 0);
      assert.ok(result.p99 >= result.p50);
    }
  } finally {
    await ceiling.close();
  }
});

test('every scenario runs against the service without errors, and the statements of a payment are counted', async () => {
  const env = benchServiceEnv(JWT_SECRET, databaseEnv());
  const token = await mintUserToken(loadConfig(env).auth, { subject: 'bench-test', roles: ['admin'], ttlSeconds: 600 });
  const service = await startCountedService(env);
  try {
    const fixtures = await makeFixtures(service.url, token, 3);
    assert.equal(fixtures.customers.length, 3);
    assert.equal(fixtures.refundable.length, 3);
    const scenarios = serviceScenarios(fixtures, token);
    assert.deepEqual(
      scenarios.map((s) => s.name),
      ['GET /payment/customer/:email', 'GET /payment/payment-methods/:customerId', 'POST /payment/payment-intent', 'POST /payment/refund', 'GET /payment/payment-intent/:id'],
    );
    for (const scenario of scenarios) {
      service.counts.reset();
      const result = await runLoad({ ...LOAD, url: service.url }, scenario.request);
      assert.ok(result.requests > 0, `${scenario.name} answered requests`);
      assert.equal(result.errors, 0, `${scenario.name} had no errors`);
      assert.ok(service.counts.roundTrips >= result.requests, `${scenario.name}: each request sent a statement`);
      if (scenario.request.method === 'POST') assert.ok(service.counts.commits >= result.requests, `${scenario.name}: each request committed`);
    }
    // The payment scenario's answers were collected for the status read.
    assert.ok(fixtures.readable.length > fixtures.refundable.length);
  } finally {
    await service.close();
  }
});

test('the BENCHMARKS.md section is replaced between its markers, the rest of the file kept', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-doc-'));
  try {
    const file = path.join(dir, 'BENCHMARKS.md');
    await writeFile(file, '# Benchmarks\n\nEarlier text.\n');
    const result = { requestsPerSecond: 100, p50: 1, p99: 2, errors: 0, errorDetail: '', requests: 1000, cpuMicros: null, databaseCpuMicros: null };
    const report = (rps: number): DatabaseReport => ({
      database: 'PostgreSQL',
      rows: [{ database: 'PostgreSQL', name: 'GET /x', ceilingName: 'one select', service: { ...result, requestsPerSecond: rps }, ceiling: result }],
      roundTrips: null,
      notes: [],
    });
    await writeBenchSection(file, benchSection({ growth: false, command: 'npm run bench', machine: 'here', reports: [report(50)], when: '2026-01-01' }));
    await writeBenchSection(file, benchSection({ growth: false, command: 'npm run bench', machine: 'here', reports: [report(70)], when: '2026-01-02' }));
    const text = await readFile(file, 'utf8');
    assert.match(text, /^# Benchmarks\n\nEarlier text\.\n/);
    assert.equal(text.match(/bench:start/g)?.length, 1);
    assert.match(text, /\| `GET \/x` \| 70 \|.*\| 0\.70 \|/);
    assert.doesNotMatch(text, /\| 0\.50 \|/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
