import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
// @ts-expect-error: a plain JavaScript module (it runs before anything is compiled)
import { isBuildFresh } from '../../scripts/build.mjs';
import { TEST_DB } from '../helpers/database.js';
import { isGone, portIsFree, processTree, timeUntil } from '../helpers/process-tree.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
/** What this test allows: an idle development server (no drain, nothing in flight) exits at once, well within SHUTDOWN_TIMEOUT_MS. */
const SHUTDOWN_BOUND_MS = 10_000;
const SLACK_MS = 1_500;

interface Started {
  npm: ChildProcess;
  stdout: string;
  stderr: string;
  /** The service's own account of where it listens (its "ready" log line). */
  address: string;
  port: number;
  token: string;
  exited: Promise<void>;
}

/** `npm start` as a person or a process manager runs it, waiting for the quickstart banner. */
async function npmStart(env: Record<string, string>): Promise<Started> {
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_update_notifier: 'false', NODE_ENV: 'development', PORT: '0', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const started = { npm, stdout: '', stderr: '' } as Started;
  started.exited = new Promise((resolve) => npm.once('exit', () => resolve()));
  npm.stderr!.on('data', (chunk: Buffer) => void (started.stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no banner in time:\n${started.stdout}\n${started.stderr}`)), 240_000);
    npm.stdout!.on('data', (chunk: Buffer) => {
      started.stdout += chunk.toString();
      // The banner and the log line, in whichever order the two writers' output arrives.
      if (/curl .*\n/.test(started.stdout) && /"msg":"payment service ready[^\n]*\n/.test(started.stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    npm.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${started.stdout}\n${started.stderr}`)));
  });
  const ready = started.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg: string; address?: string; port?: number })
    .find((line) => line.msg.startsWith('payment service ready'));
  assert.ok(ready, `a ready line:\n${started.stdout}`);
  started.address = ready.address!;
  started.port = ready.port!;
  started.token = /eyJ[\w-]+\.[\w-]+\.[\w-]+/.exec(started.stdout)![0];
  return started;
}

async function call(service: Started, method: string, url: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${service.port}${url}`, {
    method,
    headers: { authorization: `Bearer ${service.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as any };
}

/** Waits until every process of the tree is gone and the port refuses connections; answers how long that took. */
async function timeToStop(tree: number[], port: number): Promise<number | null> {
  return timeUntil(async () => tree.every(isGone) && (await portIsFree(port)), SHUTDOWN_BOUND_MS + SLACK_MS);
}

// Process ids and /proc are Linux's; the embedded database run is enough (nothing here is about PostgreSQL).
describe('npm start: one process tree, started quickly, stopped by any of its process ids', {
  skip: (TEST_DB === 'postgres' && 'runs with test:embedded') || (process.platform !== 'linux' && 'reads /proc'),
}, () => {
  let dataDir: string;
  let first: Started;
  let second: Started;
  const email = `npm-start-${randomUUID()}@example.com`;
  let wasFresh: boolean;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'payment-npm-start-'));
    wasFresh = isBuildFresh();
  });
  after(async () => {
    for (const started of [first, second]) {
      if (started && started.npm.exitCode === null && started.npm.signalCode === null) {
        for (const pid of processTree(started.npm.pid!).reverse()) process.kill(pid, 'SIGKILL');
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('compiles only when the sources changed, and on the development secret listens on 127.0.0.1 only, saying so', async () => {
    first = await npmStart({ DATA_DIR: dataDir });
    assert.equal(/compiling the TypeScript sources/.test(first.stderr), !wasFresh, first.stderr);
    assert.equal(first.address, '127.0.0.1');
    assert.match(first.stdout, new RegExp(`Listening on 127\\.0\\.0\\.1:${first.port} only, as this runs on the development secret`));
    const created = await call(first, 'POST', '/payment/customer', { email, name: 'Npm Start' });
    assert.equal(created.status, 201);
  });

  it('walks the README\'s 3-D Secure example: the service\'s own page, Complete, back to the return URL, succeeded', async () => {
    const customerId = (await call(first, 'GET', `/payment/customer/${encodeURIComponent(email)}`)).body.data.customerId;
    const card = await call(first, 'POST', '/payment/payment-method', { customerId, paymentMethodId: 'pm_card_authenticationRequired' });
    const paid = await call(first, 'POST', '/payment/payment-intent', {
      amount: 2500, customerId, paymentMethodId: card.body.data.payment_method_id, orderId: `order_${randomUUID()}`, currency: 'usd',
      returnUrl: 'https://example.com/checkout/complete',
    });
    assert.equal(paid.body.data.status, 'requires_action');
    const page: string = paid.body.data.next_action.redirect_to_url.url;
    assert.ok(page.startsWith(`http://localhost:${first.port}/payment/simulated/3ds/`), page);
    const loopback = page.replace('http://localhost:', 'http://127.0.0.1:');
    assert.match(await (await fetch(loopback)).text(), />Complete<\/button>/);
    const completed = await fetch(loopback, { method: 'POST', body: new URLSearchParams({ outcome: 'complete' }), redirect: 'manual' });
    assert.equal(completed.status, 303);
    assert.match(completed.headers.get('location') ?? '', /^https:\/\/example\.com\/checkout\/complete\?payment_intent=pi_\w+&.*redirect_status=succeeded/);
    const polled = await call(first, 'GET', `/payment/payment-intent/${paid.body.data.payment_intent_id}`);
    assert.equal(polled.body.data.status, 'succeeded');
  });

  it('SIGTERM to the npm process reaches the server: the port is free and the whole tree gone within the shutdown bound', async () => {
    const tree = processTree(first.npm.pid!);
    assert.ok(tree.length >= 2, `npm and the server: ${tree}`);
    first.npm.kill('SIGTERM');
    const took = await timeToStop(tree, first.port);
    assert.ok(took !== null, `still running after ${SHUTDOWN_BOUND_MS + SLACK_MS} ms: ${tree.filter((pid) => !isGone(pid))}`);
    await first.exited;
    assert.match(first.stdout, /"signal":"SIGTERM","msg":"shutting down"/, 'shut down as when signalled directly');
  });

  it('a restart compiles nothing, keeps the data, and with HOST=0.0.0.0 listens there', async () => {
    second = await npmStart({ DATA_DIR: dataDir, HOST: '0.0.0.0' });
    assert.doesNotMatch(second.stderr, /compiling/);
    assert.equal(second.address, '0.0.0.0');
    assert.match(second.stdout, new RegExp(`Listening on 0\\.0\\.0\\.0:${second.port}\\.`));
    assert.equal((await call(second, 'GET', `/payment/customer/${encodeURIComponent(email)}`)).status, 200);
  });

  it('npm run token compiles nothing and mints a token the running service accepts', async () => {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'token', '--', '--email', email], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_update_notifier: 'false', DATA_DIR: dataDir },
      timeout: 60_000,
    });
    assert.doesNotMatch(stderr, /compiling/);
    assert.match(stdout, /^eyJ[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const asCustomer = await fetch(`http://127.0.0.1:${second.port}/payment/customer/${encodeURIComponent(email)}`, {
      headers: { authorization: `Bearer ${stdout.trim()}` },
    });
    assert.equal(asCustomer.status, 200);
  });

  it('when npm dies without passing a signal on (SIGKILL), the server notices and stops within the bound', async () => {
    const tree = processTree(second.npm.pid!);
    second.npm.kill('SIGKILL');
    const took = await timeToStop(tree, second.port);
    assert.ok(took !== null, `still running: ${tree.filter((pid) => !isGone(pid))}`);
  });
});
