import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect, createServer, type SecureVersion, type TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { TEST_DB } from '../helpers/database.js';
import { TEST_JWT_SECRET } from '../helpers/tokens.js';

const SERVER = fileURLToPath(new URL('../fixtures/crash-server.ts', import.meta.url));

/** A self-signed certificate for 127.0.0.1, made with openssl (an EC key: fast to make). */
function makeCertificate(dir: string, name: string): { certFile: string; keyFile: string; pem: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'ignore' });
  } catch (error) {
    throw new Error(`the TLS tests make their certificate with openssl, which failed or is missing (apt-get install openssl): ${(error as Error).message}`);
  }
  return { certFile, keyFile, pem: readFileSync(certFile, 'utf8') };
}

/** The service in a child process; resolves once it listens, collecting its log lines. */
async function startService(env: Record<string, string>): Promise<{ child: ChildProcess; port: number; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', JWT_SECRET: TEST_JWT_SECRET, DATA_DIR: 'memory://', DATABASE_URL: '', RECONCILE_INTERVAL_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const parsed = JSON.parse(line) as { port?: number; msg?: string };
      if (parsed.port !== undefined && parsed.msg === undefined) resolve(parsed.port);
      else lines.push(line);
    });
    child.once('exit', (code) => reject(new Error(`the service exited (${code}) before it listened`)));
  });
  return { child, port, lines };
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** A TLS handshake limited to the given versions; answers the socket or the error the server's alert caused. */
function handshake(port: number, ca: string, version: SecureVersion, legacy = false): Promise<TLSSocket | Error> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1', port, ca, minVersion: version, maxVersion: version,
      // OpenSSL's default security level forbids TLS 1.1 even to a client: lowered so the client can offer it.
      ...(legacy ? { ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
    });
    socket.once('secureConnect', () => resolve(socket));
    socket.once('error', (error) => resolve(error));
  });
}

function getHealth(port: number, ca: string, version: SecureVersion): Promise<{ status: number; body: any; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', ca, minVersion: version, maxVersion: version, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body), protocol: (res.socket as TLSSocket).getProtocol() }));
    });
    req.on('error', reject);
    req.end();
  });
}

// TLS does not depend on the database (the service runs on an in-memory one): once per CI run is enough.
describe('TLS', { skip: TEST_DB === 'postgres' ? 'runs with TEST_DB=pglite only' : false }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'payment-tls-'));
  let first: ReturnType<typeof makeCertificate>;
  let served: Awaited<ReturnType<typeof startService>>;
  let plain: Awaited<ReturnType<typeof startService>>;

  before(async () => {
    first = makeCertificate(dir, 'first');
    [served, plain] = await Promise.all([
      startService({ TLS_CERT_FILE: first.certFile, TLS_KEY_FILE: first.keyFile }),
      startService({}),
    ]);
  });
  after(async () => {
    await Promise.all([stop(served?.child), stop(plain?.child)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a TLS 1.1 client (which a TLS 1.0+ server would accept)', async () => {
    const legacyServer = createServer({ cert: first.pem, key: readFileSync(first.keyFile), minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
    await new Promise<void>((resolve) => legacyServer.listen(0, '127.0.0.1', resolve));
    try {
      const control = await handshake((legacyServer.address() as { port: number }).port, first.pem, 'TLSv1.1', true);
      assert.ok(!(control instanceof Error), `the client cannot speak TLS 1.1 here, so the refusal would prove nothing: ${String(control)}`);
      assert.equal(control.getProtocol(), 'TLSv1.1');
      control.destroy();
    } finally {
      legacyServer.close();
    }
    const refused = await handshake(served.port, first.pem, 'TLSv1.1', true);
    assert.ok(refused instanceof Error, 'the service accepted TLS 1.1');
    assert.match(String((refused as NodeJS.ErrnoException).code), /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION/);
  });

  it('serves TLS 1.2 and TLS 1.3', async () => {
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const response = await getHealth(served.port, first.pem, version);
      assert.equal(response.protocol, version);
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { success: true, data: { status: 'ok' } });
    }
  });

  it('serves HTTPS only: plain HTTP on its port gets no answer', async () => {
    const attempt = await fetch(`http://127.0.0.1:${served.port}/health`).then((r) => r.status, () => 'refused');
    assert.notEqual(attempt, 200);
  });

  it('reloads the certificate on SIGHUP, without a restart', async () => {
    const before = await handshake(served.port, first.pem, 'TLSv1.3');
    assert.ok(!(before instanceof Error));
    assert.equal(before.getPeerX509Certificate()?.fingerprint256, new X509Certificate(first.pem).fingerprint256);
    before.destroy();

    const renewed = makeCertificate(dir, 'renewed');
    execFileSync('cp', [renewed.certFile, first.certFile]);
    execFileSync('cp', [renewed.keyFile, first.keyFile]);
    served.child.kill('SIGHUP');
    const deadline = Date.now() + 10_000;
    while (!served.lines.some((line) => line.includes('TLS certificate reloaded')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(served.lines.some((line) => line.includes('TLS certificate reloaded') && line.includes('CN=renewed')), served.lines.join('\n'));
    const after = await handshake(served.port, renewed.pem, 'TLSv1.3');
    assert.ok(!(after instanceof Error), String(after));
    assert.equal(after.getPeerX509Certificate()?.fingerprint256, new X509Certificate(renewed.pem).fingerprint256);
    after.destroy();
    assert.equal(served.child.exitCode, null, 'the service is still running');
  });

  it('says at boot how it is reached: HTTPS, or plain HTTP behind a terminating proxy', () => {
    assert.ok(served.lines.some((line) => line.includes('serving HTTPS only (TLS 1.2 or newer)')), served.lines.join('\n'));
    assert.ok(plain.lines.some((line) => line.includes('a TLS-terminating proxy is expected in front')), plain.lines.join('\n'));
  });
});
