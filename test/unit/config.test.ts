import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('has defaults that serve on the embedded database, port 9000', () => {
    const config = loadConfig({});
    assert.equal(config.port, 9000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.paymentProcessor, 'simulated');
    assert.deepEqual(config.database, { dataDir: './data' });
  });

  it('trims values, as secrets mounted from Kubernetes end in a newline', () => {
    const config = loadConfig({ PORT: ' 9100\n', DATABASE_URL: 'postgres://u@h:5432/db\n', DATABASE_SCHEMA: 'svc\n' });
    assert.equal(config.port, 9100);
    assert.deepEqual(config.database, { url: 'postgres://u@h:5432/db', schema: 'svc', poolMax: 10 });
  });

  it('treats an empty value as unset', () => {
    assert.equal(loadConfig({ PORT: '' }).port, 9000);
  });

  it('stops with one line naming the variable and what it must be', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: 'abc' }, /^Invalid configuration: PORT must be an integer from 0 to 65535 \(got "abc"\)$/],
      [{ PORT: '70000' }, /PORT must be an integer/],
      [{ PAYMENT_PROCESSOR: 'paypal' }, /PAYMENT_PROCESSOR must be one of simulated, stripe \(got "paypal"\)/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a value matching/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
    ];
    for (const [env, message] of cases) {
      assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && message.test(e.message) && !e.message.includes('\n'));
    }
  });

  describe('PAYMENT_PROCESSOR=stripe', () => {
    const key = 'sk_test_51Hx9RealLookingKey0000';

    it('reads the key (trimmed), the API base and the deliberate timeout and retries', () => {
      const config = loadConfig({ PAYMENT_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: `${key}\n`, STRIPE_API_BASE: 'http://127.0.0.1:12111' });
      assert.equal(config.stripe?.secretKey, key);
      assert.equal(config.stripe?.apiBase?.href, 'http://127.0.0.1:12111/');
      assert.deepEqual([config.stripe?.timeoutMs, config.stripe?.maxNetworkRetries], [20_000, 2]);
      const tuned = loadConfig({ PAYMENT_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: 'rk_live_abc', STRIPE_TIMEOUT_MS: '5000', STRIPE_MAX_NETWORK_RETRIES: '0' });
      assert.deepEqual([tuned.stripe?.apiBase, tuned.stripe?.timeoutMs, tuned.stripe?.maxNetworkRetries], [null, 5000, 0]);
    });

    it('needs no Stripe settings for the simulated processor', () => {
      assert.equal(loadConfig({}).stripe, null);
      assert.equal(loadConfig({ STRIPE_SECRET_KEY: 'whatever' }).stripe, null);
    });

    it('stops with one line when the key is missing or not a secret key, never showing it', () => {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{}, /^Invalid configuration: STRIPE_SECRET_KEY is required when PAYMENT_PROCESSOR=stripe/],
        [{ STRIPE_SECRET_KEY: ' \n' }, /STRIPE_SECRET_KEY is required/],
        [{ STRIPE_SECRET_KEY: 'pk_test_visibleInBrowsers1234' }, /must be a Stripe secret key \(sk_\.\.\.\) or restricted key \(rk_\.\.\.\); pk_ is a publishable key/],
        [{ STRIPE_SECRET_KEY: 'Bearer sk_test_pastedWithPrefix99' }, /STRIPE_SECRET_KEY must be a Stripe secret key .*\(the value is not shown\)$/],
        [{ STRIPE_SECRET_KEY: 'secret-in-the-wrong-place-777' }, /STRIPE_SECRET_KEY must be/],
      ];
      for (const [env, message] of cases) {
        assert.throws(
          () => loadConfig({ PAYMENT_PROCESSOR: 'stripe', ...env }),
          (e: unknown) =>
            e instanceof ConfigError &&
            message.test(e.message) &&
            !e.message.includes('\n') &&
            !/visibleInBrowsers|pastedWithPrefix|wrong-place/.test(e.message),
        );
      }
    });

    it('refuses an API base the SDK cannot use, and bad timeout or retry numbers', () => {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ STRIPE_API_BASE: 'localhost:12111' }, /STRIPE_API_BASE must be a value matching/],
        [{ STRIPE_API_BASE: 'http://127.0.0.1:12111/v1' }, /STRIPE_API_BASE must be scheme:\/\/host:port without a path/],
        [{ STRIPE_TIMEOUT_MS: '10' }, /STRIPE_TIMEOUT_MS must be an integer from 1000 to 120000 \(got "10"\)/],
        [{ STRIPE_MAX_NETWORK_RETRIES: '-1' }, /STRIPE_MAX_NETWORK_RETRIES must be an integer from 0 to 5/],
      ];
      for (const [env, message] of cases) {
        assert.throws(() => loadConfig({ PAYMENT_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: key, ...env }), (e: unknown) => e instanceof ConfigError && message.test(e.message));
      }
    });
  });
});
