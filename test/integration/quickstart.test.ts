import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TEST_DB } from '../helpers/database.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

/** A clean environment: nothing of the test runner's configuration leaks into the child. */
function envWith(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', HOST: '127.0.0.1', ...vars };
}

const node = (script: string, args: string[], env: NodeJS.ProcessEnv) =>
  run(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, timeout: 60_000 });

/** Resolves with everything the server printed once `until` matches its stdout. */
function waitForOutput(child: ChildProcess, until: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${until} within ${timeoutMs} ms; printed:\n${out}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (until.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before printing ${until}:\n${out}`)));
  });
}

// The quickstart is the embedded database's; the PostgreSQL run has nothing to add to it.
describe('the development quickstart: npm start with no configuration', { skip: TEST_DB === 'postgres' && 'runs with test:embedded' }, () => {
  let dataDir: string;
  let server: ChildProcess;
  let printed: string;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'payment-quickstart-'));
    server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: ROOT,
      env: envWith({ DATA_DIR: dataDir, PORT: '0', NODE_ENV: 'development' }),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    printed = await waitForOutput(server, /curl .*\n/, 120_000);
  });
  after(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('prints one admin token and a curl line that works as printed', async () => {
    const tokens = printed.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g) ?? [];
    assert.ok(tokens.length >= 1);
    assert.equal(new Set(tokens).size, 1, 'one token');
    const curl = printed.split('\n').find((line) => line.trim().startsWith('curl '))!;
    const { stdout } = await run('sh', ['-c', curl], { timeout: 30_000 });
    const answer = JSON.parse(stdout);
    assert.equal(answer.success, true, stdout);
    assert.match(answer.data.customerId, /^cus_/);
  });

  it('keeps its secret in DATA_DIR, readable by its owner only', async () => {
    const file = path.join(dataDir, 'dev-jwt-secret');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.ok((await readFile(file, 'utf8')).trim().length >= 32);
  });

  it('npm run token mints tokens for the same secret: a customer token works for that customer only', async () => {
    const env = envWith({ DATA_DIR: dataDir });
    const secretBefore = await readFile(path.join(dataDir, 'dev-jwt-secret'), 'utf8');
    const { stdout } = await node('src/cli/token.ts', ['--email', 'quick@example.com', '--ttl', '10m'], env);
    assert.match(stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/, 'the token alone on stdout');
    const base = printed.match(/http:\/\/localhost:\d+/)![0];
    const create = (email: string) =>
      fetch(`${base}/payment/customer`, {
        method: 'POST',
        headers: { authorization: `Bearer ${stdout.trim()}`, 'content-type': 'application/json' },
        body: JSON.stringify({ email, name: 'Quick' }),
      });
    assert.equal((await create('quick@example.com')).status, 201);
    assert.equal((await create('someone-else@example.com')).status, 403);
    assert.equal(await readFile(path.join(dataDir, 'dev-jwt-secret'), 'utf8'), secretBefore, 'the secret is made once');
  });

  it('npm run token says in one line what is wrong with its arguments', async () => {
    for (const [args, message] of [
      [[], /^Give at least --email, --role or --scope/],
      [['--email', 'a@b.com', '--ttl', 'forever'], /^--ttl must be a duration/],
    ] as const) {
      await assert.rejects(node('src/cli/token.ts', [...args], envWith({ DATA_DIR: dataDir })), (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 2);
        assert.match(error.stderr, message);
        assert.equal(error.stderr.trim().split('\n').length, 1);
        return true;
      });
    }
  });
});

describe('production without authentication configured', () => {
  for (const vars of [{ NODE_ENV: 'production' }, { AUTH_MODE: 'required' }] as Array<Record<string, string>>) {
    it(`${Object.entries(vars)[0]!.join('=')}: the boot stops with one clear line`, async () => {
      await assert.rejects(node('src/server.ts', [], envWith({ ...vars, DATA_DIR: path.join(tmpdir(), 'never-created') })), (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stderr, /^Authentication is not configured: set JWT_SECRET \(user tokens\) and\/or JWKS_URL \(service tokens\); \S+ refuses to start without them\n$/);
        return true;
      });
    });
  }

  it('npm run token refuses too, rather than make a development secret', async () => {
    await assert.rejects(node('src/cli/token.ts', ['--email', 'a@b.com'], envWith({ NODE_ENV: 'production' })), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /^Authentication is not configured/);
      return true;
    });
  });
});
