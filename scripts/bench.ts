/**
 * The service beside its ceiling: the real service (simulated processor) and a bare Fastify server
 * doing the one equivalent query, on the same database, loaded alike by autocannon, route by route;
 * the ratio of the two is what the service costs. Then the same on the embedded database. Prints
 * the table and the round trips and commits per payment, and writes them into BENCHMARKS.md.
 *
 *   npm run bench -- [--connections 50] [--duration 10] [--warmup 3] [--only postgres|pglite]
 *                    [--rows 1e6] [--customers 100] [--pool-max 10] [--log-level info] [--no-write]
 *                    [--scenarios payment-intent,refund] [--profile DIR]
 *
 * --scenarios keeps the scenarios whose name holds one of the words; --profile writes the service's
 * CPU profile (node --cpu-prof) into DIR when it stops (summarised by scripts/bench/profile-summary.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { mintUserToken } from '../src/auth/token-minter.js';
import { loadConfig } from '../src/config.js';
import { ceilingRequests, makeFixtures, serviceScenarios } from './bench/fixtures.js';
import { growthNotes, seedGrowth } from './bench/growth.js';
import { runLoad, type LoadOptions, type LoadResult } from './bench/load.js';
import { benchSection, ratioOf, roundTripLines, scenarioTable, statementLines, writeBenchSection, type DatabaseReport } from './bench/report.js';
import { countRoundTrips } from './bench/round-trips.js';
import { benchServiceEnv, startTargets, type DatabaseKind } from './bench/targets.js';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    only: { type: 'string' },
    rows: { type: 'string', default: '0' },
    customers: { type: 'string', default: '100' },
    'pool-max': { type: 'string', default: process.env.DATABASE_POOL_MAX ?? '10' },
    'log-level': { type: 'string', default: 'info' },
    'database-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'no-write': { type: 'boolean', default: false },
    profile: { type: 'string' },
    scenarios: { type: 'string' },
  },
});
const KINDS: DatabaseKind[] = args.only ? [args.only as DatabaseKind] : ['postgres', 'pglite'];
if (!KINDS.every((kind) => kind === 'postgres' || kind === 'pglite')) throw new Error('--only is postgres or pglite');
const ROWS = Number(args.rows);
const JWT_SECRET = randomBytes(32).toString('base64url');

async function benchDatabase(kind: DatabaseKind, load: Omit<LoadOptions, 'url'>, token: string): Promise<DatabaseReport> {
  const name = kind === 'postgres' ? 'PostgreSQL' : 'embedded (PGlite)';
  const growing = ROWS > 0 && kind === 'postgres';
  const targets = await startTargets(kind, {
    jwtSecret: JWT_SECRET,
    adminUrl: args['database-url']!,
    poolMax: Number(args['pool-max']),
    logLevel: args['log-level']!,
    profileDir: args.profile,
    ...(growing ? { prepare: (url: string) => seedGrowth(url, ROWS) } : {}),
  });
  const report: DatabaseReport = { database: growing ? `${name}, ${ROWS.toExponential(0)} rows` : name, rows: [], roundTrips: null, notes: [] };
  try {
    const fixtures = await makeFixtures(targets.service, token, Number(args.customers));
    const ceilings = ceilingRequests();
    const only = args.scenarios?.split(',');
    for (const scenario of serviceScenarios(fixtures, token).filter((s) => !only || only.some((word) => s.name.includes(word)))) {
      const localDatabase = kind === 'postgres';
      const service = await runLoad({ ...load, url: targets.service, pid: targets.servicePid, localDatabase }, scenario.request);
      const ceiling = await runLoad({ ...load, url: targets.ceiling, pid: targets.ceilingPid, localDatabase }, ceilings[scenario.ceiling]);
      const row = { database: name, name: scenario.name, ceilingName: scenario.ceiling === 'select' ? 'one select' : 'one insert', service, ceiling };
      report.rows.push(row);
      console.log(
        `${scenario.name.padEnd(42)} ${service.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${String(service.p50).padStart(3)} p99 ${String(service.p99).padStart(4)} ms  errors ${service.errors}${service.errorDetail ? ` (${service.errorDetail})` : ''}${cpu(service)}` +
          `  | ${row.ceilingName} ${ceiling.requestsPerSecond.toFixed(0).padStart(7)} req/s p99 ${String(ceiling.p99).padStart(4)} ms errors ${ceiling.errors}${cpu(ceiling)}  | ratio ${ratioOf(row).toFixed(2)}`,
      );
    }
    report.roundTrips = await countWith(kind, targets.serviceEnv, targets.databaseUrl, token);
    for (const line of roundTripLines(report)) console.log(line);
    if (growing) report.notes.push(...(await growthNotes(targets.databaseUrl!, targets.serviceEnv)));
    for (const note of report.notes) console.log(note);
  } finally {
    await targets.stop();
  }
  return report;
}

const cpu = (result: LoadResult) =>
  (result.cpuMicros === null ? '' : ` cpu ${result.cpuMicros.toFixed(0)} µs/req`) +
  (result.databaseCpuMicros === null ? '' : ` (db ${result.databaseCpuMicros.toFixed(0)})`);

/** The round-trip count, in this process, on the run's PostgreSQL database or a folder of its own. */
async function countWith(kind: DatabaseKind, env: Record<string, string>, databaseUrl: string | null, token: string) {
  if (kind === 'postgres') return countRoundTrips(env, token, 20);
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-count-'));
  try {
    return await countRoundTrips({ ...env, DATA_DIR: dir }, token, 20);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function machine(): Promise<string> {
  const cpus = os.cpus();
  let postgres = 'no PostgreSQL';
  if (KINDS.includes('postgres')) {
    const client = new pg.Client({ connectionString: args['database-url'] });
    await client.connect();
    postgres = `PostgreSQL ${(await client.query('SHOW server_version')).rows[0].server_version.split(' ')[0]}`;
    await client.end();
  }
  const manifest = path.join(import.meta.dirname, '..', 'node_modules', '@electric-sql', 'pglite', 'package.json');
  const pglite = (JSON.parse(await readFile(manifest, 'utf8').catch(() => '{}')) as { version?: string }).version;
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), Node.js ${process.version.slice(1)}, ${postgres}${pglite ? `, PGlite ${pglite}` : ''}`;
}

async function main() {
  const load = { connections: Number(args.connections), durationSeconds: Number(args.duration), warmupSeconds: Number(args.warmup) };
  const token = await mintUserToken(loadConfig(benchServiceEnv(JWT_SECRET, {})).auth, { subject: 'bench', roles: ['admin'], ttlSeconds: 6 * 3600 });
  const where = await machine();
  console.log(`bench: ${load.connections} connections, ${load.warmupSeconds} s warm-up + ${load.durationSeconds} s per scenario; ${where}`);
  const reports: DatabaseReport[] = [];
  for (const kind of KINDS) reports.push(await benchDatabase(kind, load, token));
  for (const report of reports) {
    console.log(`\n${scenarioTable(report)}\n`);
    if (report.roundTrips) console.log(['statements of one payment:', ...statementLines(report.roundTrips.payment)].join('\n'));
  }
  if (!args['no-write']) {
    const command = `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
    const growth = ROWS > 0;
    await writeBenchSection(
      path.join(import.meta.dirname, '..', 'BENCHMARKS.md'),
      benchSection({ growth, command, machine: where, reports, when: new Date().toISOString().slice(0, 10) }),
      growth,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
