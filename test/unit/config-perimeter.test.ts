import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

const fails = (env: Record<string, string>, message: RegExp) =>
  assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'));

describe('perimeter configuration', () => {
  it('defaults: plain HTTP behind a proxy nobody is trusted from, no CORS, limits in memory, bounded timeouts', () => {
    const config = loadConfig({});
    assert.equal(config.tls, null);
    assert.equal(config.trustProxy, false);
    assert.deepEqual(config.corsOrigins, []);
    assert.deepEqual(config.rateLimit, { enabled: true, windowMs: 60_000, readMax: 600, writeMax: 120, serviceMultiplier: 10, redis: null });
    assert.deepEqual(config.timeouts, { connectionMs: 120_000, headersMs: 15_000, requestMs: 30_000, keepAliveMs: 72_000 });
  });

  it('serves TLS only with both files, and says so in one line otherwise', () => {
    assert.deepEqual(loadConfig({ TLS_CERT_FILE: '/tls/tls.crt\n', TLS_KEY_FILE: '/tls/tls.key' }).tls, { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' });
    fails({ TLS_CERT_FILE: '/tls/tls.crt' }, /^Invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE go together/);
    fails({ TLS_KEY_FILE: '/tls/tls.key' }, /TLS_CERT_FILE and TLS_KEY_FILE go together/);
  });

  it('reads TRUST_PROXY as true, a hop count or proxy addresses', () => {
    assert.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,loopback,fd00::/8' }).trustProxy, ['10.0.0.0/8', '127.0.0.1', 'loopback', 'fd00::/8']);
    fails({ TRUST_PROXY: 'ingress.local' }, /TRUST_PROXY must be true, a hop count, or addresses\/CIDRs .*\(got "ingress\.local"\)$/);
    fails({ TRUST_PROXY: '10.0.0.0/40' }, /TRUST_PROXY must be/);
  });

  it('reads CORS_ORIGINS as exact origins', () => {
    assert.deepEqual(loadConfig({ CORS_ORIGINS: 'https://app.example.com,http://localhost:5173/' }).corsOrigins, ['https://app.example.com', 'http://localhost:5173']);
    fails({ CORS_ORIGINS: 'https://app.example.com/checkout' }, /CORS_ORIGINS must be origins .*\(got "https:\/\/app\.example\.com\/checkout"\)$/);
    fails({ CORS_ORIGINS: '*' }, /CORS_ORIGINS must be origins/);
  });

  it('reads the rate limits and Redis, and the timeouts in a coherent order', () => {
    const config = loadConfig({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_READ_MAX: '50', REDIS_URL: 'redis://cache:6379/2', REDIS_KEY_PREFIX: 'pay:' });
    assert.equal(config.rateLimit.enabled, false);
    assert.equal(config.rateLimit.readMax, 50);
    assert.deepEqual(config.rateLimit.redis, { url: 'redis://cache:6379/2', keyPrefix: 'pay:' });
    fails({ REDIS_URL: 'cache:6379' }, /REDIS_URL must be a value matching/);
    fails({ REDIS_URL: 'http://user:hunter2@cache:6379' }, /got "http:\/\/user:\*\*\*@cache:6379\/"/);
    fails({ RATE_LIMIT_ENABLED: 'yes' }, /RATE_LIMIT_ENABLED must be one of true, false/);
    fails({ HTTP_HEADERS_TIMEOUT_MS: '40000' }, /HTTP_HEADERS_TIMEOUT_MS \(40000\) must not exceed HTTP_REQUEST_TIMEOUT_MS \(30000\)/);
  });
});
