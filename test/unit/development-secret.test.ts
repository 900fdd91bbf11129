import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEVELOPMENT_SECRET_FILE, withDevelopmentSecret } from '../../src/auth/development-secret.js';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('the development secret', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'dev-secret-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  const configFor = (dir: string, env: Record<string, string> = {}) => loadConfig({ DATA_DIR: dir, ...env });

  it('is made once, private to its owner, and kept across starts', async () => {
    const dir = path.join(root, 'fresh');
    const first = await withDevelopmentSecret(configFor(dir));
    const again = await withDevelopmentSecret(configFor(dir));
    assert.equal(first.developmentSecret?.created, true);
    assert.equal(again.developmentSecret?.created, false);
    assert.equal(again.config.auth.userTokens.secret, first.config.auth.userTokens.secret);
    assert.equal((await stat(path.join(dir, DEVELOPMENT_SECRET_FILE))).mode & 0o777, 0o600);
  });

  it('refuses a secret file others can read or write: its author could mint administrator tokens', async () => {
    const dir = path.join(root, 'planted');
    await withDevelopmentSecret(configFor(dir)).catch(() => {});
    const file = path.join(dir, DEVELOPMENT_SECRET_FILE);
    await writeFile(file, 'a-secret-someone-else-chose-1234\n');
    await chmod(file, 0o666);
    await assert.rejects(withDevelopmentSecret(configFor(dir)), (e: unknown) => e instanceof ConfigError && /not a private file/.test(e.message));
  });

  it('refuses a link in place of the file', async () => {
    const dir = path.join(root, 'linked');
    await withDevelopmentSecret(configFor(dir));
    const file = path.join(dir, DEVELOPMENT_SECRET_FILE);
    const target = path.join(root, 'public-file');
    await writeFile(target, 'public text that anyone can read\n', { mode: 0o600 });
    await rm(file);
    await symlink(target, file);
    await assert.rejects(withDevelopmentSecret(configFor(dir)), (e: unknown) => e instanceof ConfigError && /cannot be opened/.test(e.message));
  });

  it('is never made beside a live Stripe key, nor in production', async () => {
    const live = configFor(path.join(root, 'live'), { PAYMENT_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: 'sk_live_abcdef123456' });
    await assert.rejects(withDevelopmentSecret(live), (e: unknown) => e instanceof ConfigError && /live Stripe key/.test(e.message));
    assert.throws(() => configFor(path.join(root, 'prod'), { NODE_ENV: 'production' }), (e: unknown) => e instanceof ConfigError && /not configured/.test(e.message));
    const testMode = configFor(path.join(root, 'test-mode'), { PAYMENT_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: 'sk_test_abcdef123456' });
    assert.ok((await withDevelopmentSecret(testMode)).developmentSecret);
  });

  it('keeps the service on loopback unless HOST says otherwise: its admin token is printed at boot', async () => {
    const dir = path.join(root, 'host');
    assert.equal((await withDevelopmentSecret(configFor(dir))).config.host, '127.0.0.1');
    assert.equal((await withDevelopmentSecret(configFor(dir, { HOST: '0.0.0.0' }))).config.host, '0.0.0.0');
    assert.equal((await withDevelopmentSecret(configFor(dir, { HOST: '::' }))).config.host, '::');
    // With real authentication there is no development token to protect: the usual default.
    assert.equal((await withDevelopmentSecret(configFor(dir, { JWT_SECRET: 'a-real-secret-0123456789' }))).config.host, '0.0.0.0');
  });
});
