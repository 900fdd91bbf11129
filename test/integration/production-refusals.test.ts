import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dataKeyId } from '../../src/crypto/data-cipher.js';
import { TEST_DB, TEST_DATABASE_URL } from '../helpers/database.js';

const DATA_KEY = Buffer.alloc(32, 9);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** The real process entry in production, with nothing of the test runner's environment. */
function production(vars: Record<string, string | undefined>): NodeJS.ProcessEnv {
  // A variable given as undefined is left out.
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    JWT_SECRET: 'a-production-secret-for-these-tests',
    DATA_ENCRYPTION_KEY: DATA_KEY.toString('base64'),
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_FORMAT: 'json',
    SHUTDOWN_DRAIN_MS: '0',
    RECONCILE_INTERVAL_MS: '0',
    ...vars,
  };
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

// The process entry on the embedded database: the PostgreSQL run has nothing to add.
describe('production never runs on make-believe', { skip: TEST_DB === 'postgres' && 'runs with test:embedded' }, () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'payment-production-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  const refusal = async (env: NodeJS.ProcessEnv) => {
    const error = await run(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: ROOT, env, timeout: 60_000 }).then(
      () => assert.fail('the service started'),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    assert.equal(error.code, 1);
    assert.equal(error.stdout, '', 'nothing started, nothing logged');
    const lines = error.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line: ${error.stderr}`);
    return lines[0]!;
  };

  it('refuses the simulated processor with one line, exit 1', async () => {
    const line = await refusal(production({ DATABASE_URL: TEST_DATABASE_URL }));
    assert.match(line, /^Refusing to start with NODE_ENV=production: set PAYMENT_PROCESSOR=stripe with STRIPE_SECRET_KEY .*ALLOW_SIMULATED_PROCESSOR=true for staging\)$/);
  });

  it('refuses the embedded database (no DATABASE_URL) with one line, exit 1', async () => {
    const line = await refusal(production({ PAYMENT_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: 'sk_test_refusals', DATA_DIR: dataDir }));
    assert.match(line, /^Refusing to start with NODE_ENV=production: set DATABASE_URL .*ALLOW_EMBEDDED_DATABASE=true for staging\)$/);
  });

  it('refuses a boot without DATA_ENCRYPTION_KEY with one line, exit 1, staging too: no development key in production', async () => {
    const line = await refusal(production({ ALLOW_SIMULATED_PROCESSOR: 'true', ALLOW_EMBEDDED_DATABASE: 'true', DATA_DIR: dataDir, DATA_ENCRYPTION_KEY: undefined }));
    assert.match(line, /^Refusing to start with NODE_ENV=production: set DATA_ENCRYPTION_KEY \(names, emails and tokens are kept encrypted at rest; make one with: openssl rand -base64 32\)$/);
    assert.deepEqual(await readdir(dataDir), [], 'no development key made');
  });

  it('starts on both when each is explicitly allowed, and says so at every boot', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: production({ ALLOW_SIMULATED_PROCESSOR: 'true', ALLOW_EMBEDDED_DATABASE: 'true', DATA_DIR: dataDir }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    for (let i = 0; i < 600 && !out.includes('payment service ready'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const lines = out.trim().split('\n').map((line) => JSON.parse(line) as { level: number; msg: string });
    assert.ok(lines.some((line) => line.msg.startsWith('payment service ready')), out);
    assert.equal(lines[0]!.msg, `boot: environment production, processor simulated, database embedded (${dataDir}), auth required: user tokens, notifications off, data key ${dataKeyId(DATA_KEY)}`);
    const warnings = lines.filter((line) => line.level === 40).map((line) => line.msg);
    assert.ok(warnings.some((msg) => /ALLOW_SIMULATED_PROCESSOR=true/.test(msg)), JSON.stringify(warnings));
    assert.ok(warnings.some((msg) => /ALLOW_EMBEDDED_DATABASE=true/.test(msg)), JSON.stringify(warnings));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});
