import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TEST_DATA_KEY } from './app.js';
import type { TestDatabase } from './database.js';
import { adminToken, TEST_JWT_SECRET } from './tokens.js';

const CRASH_SERVER = fileURLToPath(new URL('../fixtures/crash-server.ts', import.meta.url));

export interface ChildService {
  child: ChildProcess;
  base: string;
  /** A JSON request as an administrator; a connection the server dropped resolves as `{ status: 0 }`. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** Resolves with the signal that ended the process (SIGKILL when it crashed on purpose). */
  exited: Promise<NodeJS.Signals | null>;
  stop(): Promise<void>;
}

/**
 * What a child service needs to share `database` with the test and settle what a killed one left
 * at once: no grace before the reconciler takes a row, no interval (the boot pass does it), and
 * idempotency keys whose requests died freed after half a second; the data key the test's own
 * apps seal with, so the test, a killed child and the one after it open each other's values.
 */
export function childServiceEnv(database: TestDatabase): Record<string, string> {
  return {
    DATABASE_URL: database.url!,
    DATABASE_SCHEMA: database.schema!,
    DATA_ENCRYPTION_KEY: TEST_DATA_KEY,
    RECONCILE_GRACE_MS: '0',
    RECONCILE_INTERVAL_MS: '0',
    IDEMPOTENCY_LEASE_MS: '500',
  };
}

/** Starts the service in a child process (test/fixtures/crash-server.ts) and waits until it listens. */
export async function startChildService(env: Record<string, string>): Promise<ChildService> {
  const child = spawn(process.execPath, ['--import', 'tsx', CRASH_SERVER], {
    env: { ...process.env, LOG_LEVEL: 'silent', NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before it listened`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const authorization = `Bearer ${await adminToken()}`;
  return {
    child,
    base,
    call: (method, path, body, headers = {}) => call(base, method, path, body, { authorization, ...headers }),
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A JSON request; a connection the server dropped resolves as `{ status: 0 }`. */
async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as any };
  } catch {
    return { status: 0, body: null as any };
  }
}
