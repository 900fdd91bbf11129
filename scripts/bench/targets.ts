/**
 * The two servers of one database kind, each a child process of its own: the real service
 * (src/server.ts, simulated processor) and the bare ceiling; on PostgreSQL a database made for the
 * run and dropped after it, on the embedded database a folder each.
 */
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, startServiceProcess } from '../service-process.js';

const CEILING_SERVER = fileURLToPath(new URL('./ceiling-server.ts', import.meta.url));

export type DatabaseKind = 'postgres' | 'pglite';

export interface Targets {
  kind: DatabaseKind;
  service: string;
  ceiling: string;
  /** The two processes, for their CPU time. */
  servicePid: number | undefined;
  ceilingPid: number | undefined;
  /** The run's database (PostgreSQL) for the seeding and the round-trip count; null on the embedded database. */
  databaseUrl: string | null;
  /** The service's environment, so an in-process copy (the round-trip count) runs the same way. */
  serviceEnv: Record<string, string>;
  stop(): Promise<void>;
}

const BENCH_DATA_KEY = randomBytes(32).toString('base64');

/** The service's environment for a bench: rate limits, the reconciler's interval and the self-sent events off. */
export function benchServiceEnv(jwtSecret: string, extra: Record<string, string>): Record<string, string> {
  return {
    JWT_SECRET: jwtSecret,
    // One data key for the run: the service's process and the round-trip count open the same rows.
    DATA_ENCRYPTION_KEY: BENCH_DATA_KEY,
    LOG_LEVEL: 'info',
    RECONCILE_INTERVAL_MS: '0',
    RATE_LIMIT_ENABLED: 'false',
    SIMULATED_WEBHOOKS: 'off',
    PAYMENT_PROCESSOR: 'simulated',
    ...extra,
  };
}

/** postgres://…/name with the database name replaced. */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

async function startCeilingProcess(port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CEILING_SERVER], { env: { ...process.env, PORT: String(port), ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 300; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/ceiling/customer/none`).then(() => true, () => false);
    if (up) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the ceiling server did not start');
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface TargetOptions {
  jwtSecret: string;
  /** postgres://user@host:port/db: the server; the run makes a database of its own there. */
  adminUrl: string;
  poolMax: number;
  logLevel: string;
  /** A folder for the service's CPU profile (node --cpu-prof), written when it stops; none: not profiled. */
  profileDir?: string | undefined;
  /** Runs on the empty, migrated database before the servers take load (the growth seeding). */
  prepare?: (databaseUrl: string) => Promise<void>;
}

export async function startTargets(kind: DatabaseKind, options: TargetOptions): Promise<Targets> {
  const [servicePort, ceilingPort] = [await freePort(), await freePort()];
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error(error));
  };
  try {
    let databaseUrl: string | null = null;
    let serviceDb: Record<string, string>;
    let ceilingDb: Record<string, string>;
    if (kind === 'postgres') {
      const name = `bench_${process.pid}`;
      await adminQuery(options.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await adminQuery(options.adminUrl, `CREATE DATABASE ${name}`);
      cleanups.push(() => adminQuery(options.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
      databaseUrl = withDatabase(options.adminUrl, name);
      serviceDb = { DATABASE_URL: databaseUrl, DATABASE_POOL_MAX: String(options.poolMax) };
      ceilingDb = { CEILING_DATABASE_URL: databaseUrl, CEILING_POOL_MAX: String(options.poolMax) };
    } else {
      const [serviceDir, ceilingDir] = [await mkdtemp(path.join(tmpdir(), 'bench-service-')), await mkdtemp(path.join(tmpdir(), 'bench-ceiling-'))];
      cleanups.push(() => rm(serviceDir, { recursive: true, force: true }), () => rm(ceilingDir, { recursive: true, force: true }));
      serviceDb = { DATA_DIR: serviceDir };
      ceilingDb = { CEILING_DATA_DIR: ceilingDir };
    }
    const serviceEnv = benchServiceEnv(options.jwtSecret, { LOG_LEVEL: options.logLevel, ...serviceDb });
    if (options.prepare && databaseUrl) {
      // Migrated by a first start, seeded while nothing runs, then started for the load.
      const first = await startServiceProcess(servicePort, serviceEnv);
      await stopChild(first);
      await options.prepare(databaseUrl);
    }
    const profiled = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
    const service = await startServiceProcess(servicePort, serviceEnv, 600, profiled);
    cleanups.push(() => stopChild(service));
    const ceiling = await startCeilingProcess(ceilingPort, ceilingDb);
    cleanups.push(() => stopChild(ceiling));
    return {
      kind,
      service: `http://127.0.0.1:${servicePort}`,
      ceiling: `http://127.0.0.1:${ceilingPort}`,
      servicePid: service.pid,
      ceilingPid: ceiling.pid,
      databaseUrl,
      serviceEnv,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
