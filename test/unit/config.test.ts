import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

/** What production needs besides authentication: a real processor and a real database. */
const REAL_PARTS = {
  PAYMENT_PROCESSOR: 'stripe',
  STRIPE_SECRET_KEY: 'sk_live_abc123',
  DATABASE_URL: 'postgres://app:pw@db.internal:5432/payments',
  DATA_ENCRYPTION_KEY: Buffer.alloc(32, 3).toString('base64'),
};

describe('configuration', () => {
  it('has defaults that serve on the embedded database, port 9000', () => {
    const config = loadConfig({});
    assert.equal(config.port, 9000);
    assert.equal(config.host, '0.0.0.0');
    assert.equal(config.hostExplicit, false);
    assert.equal(config.publicUrl, null);
    assert.equal(config.logFormat, null);
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
    assert.equal(loadConfig({ HOST: ' ' }).hostExplicit, false);
  });

  it('reads HOST, PUBLIC_URL (without its trailing slash) and LOG_FORMAT', () => {
    const config = loadConfig({ HOST: '0.0.0.0', PUBLIC_URL: 'https://pay.example.com/', LOG_FORMAT: 'json' });
    assert.deepEqual([config.host, config.hostExplicit, config.publicUrl, config.logFormat], ['0.0.0.0', true, 'https://pay.example.com', 'json']);
  });

  it('stops with one line naming the variable and what it must be', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PORT: 'abc' }, /^Invalid configuration: PORT must be an integer from 0 to 65535 \(got "abc"\)$/],
      [{ PORT: '70000' }, /PORT must be an integer/],
      [{ PAYMENT_PROCESSOR: 'paypal' }, /PAYMENT_PROCESSOR must be one of simulated, stripe \(got "paypal"\)/],
      [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a value matching/],
      [{ DATABASE_URL: 'mysql://app:hunter2@db:3306/x' }, /DATABASE_URL must be a value matching .*\(got "mysql:\/\/app:\*\*\*@db:3306\/x"\)$/],
      [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of/],
      [{ JWKS_URL: 'auth-service/jwks' }, /JWKS_URL must be a value matching/],
      [{ AUTH_MODE: 'off' }, /AUTH_MODE must be one of auto, required/],
      [{ JWT_CLOCK_TOLERANCE_SECONDS: '3600' }, /JWT_CLOCK_TOLERANCE_SECONDS must be an integer from 0 to 300/],
      [{ LOG_FORMAT: 'yaml' }, /LOG_FORMAT must be one of pretty, json \(got "yaml"\)/],
      [{ PUBLIC_URL: 'localhost:9000' }, /PUBLIC_URL must be a value matching/],
      [{ PUBLIC_URL: 'https://pay.example.com/payment' }, /PUBLIC_URL must be a value matching/],
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

  describe('authentication', () => {
    it('defaults to the platform\'s issuer and audience, the service tokens\' to the same, and the default names', () => {
      const { auth } = loadConfig({ JWT_SECRET: 's'.repeat(32), JWKS_URL: 'http://auth-service/auth/.well-known/openid-configuration/jwks' });
      assert.deepEqual(auth.userTokens, { secret: 's'.repeat(32), issuer: ['CommuneDrop'], audience: ['CommuneDropAudience'] });
      assert.deepEqual(auth.serviceTokens, {
        jwksUrl: 'http://auth-service/auth/.well-known/openid-configuration/jwks',
        issuer: ['CommuneDrop'],
        audience: ['CommuneDropAudience'],
        refreshCooldownSeconds: 30,
      });
      assert.equal(auth.clockToleranceSeconds, 30);
      assert.deepEqual(auth.names, { adminRole: 'admin', readScope: 'payment.read', writeScope: 'payment.write', orderScope: 'order.write' });
    });

    it('takes the service tokens\' issuer and audience separately, lists comma-separated, names renamed', () => {
      const { auth } = loadConfig({
        JWKS_URL: 'https://auth.example.com/jwks',
        SERVICE_JWT_ISSUER: 'https://auth.example.com',
        SERVICE_JWT_AUDIENCE: 'payment-api, CommuneDropAudience',
        AUTH_ROLE_ADMIN: 'Administrator',
        AUTH_SCOPE_ORDER: 'orders.write',
      });
      assert.deepEqual(auth.serviceTokens?.issuer, ['https://auth.example.com']);
      assert.deepEqual(auth.serviceTokens?.audience, ['payment-api', 'CommuneDropAudience']);
      assert.equal(auth.userTokens.secret, undefined);
      assert.equal(auth.names.adminRole, 'Administrator');
      assert.equal(auth.names.orderScope, 'orders.write');
    });

    it('trims the secret (a mounted secret ends in a newline)', () => {
      assert.equal(loadConfig({ JWT_SECRET: `${'k'.repeat(40)}\n` }).auth.userTokens.secret, 'k'.repeat(40));
    });

    it('never shows the secret in its error', () => {
      assert.throws(
        () => loadConfig({ JWT_SECRET: 'hunter2' }),
        (e: unknown) => e instanceof ConfigError && e.message === 'Invalid configuration: JWT_SECRET must be a string of at least 16 characters (got 7 characters)',
      );
    });

    it('stops a production boot without JWT_SECRET or JWKS_URL with one line', () => {
      for (const env of [{ NODE_ENV: 'production' }, { AUTH_MODE: 'required' }]) {
        assert.throws(
          () => loadConfig(env),
          (e: unknown) => e instanceof ConfigError && /^Authentication is not configured: set JWT_SECRET .* and\/or JWKS_URL/.test(e.message) && !e.message.includes('\n'),
        );
      }
      assert.ok(loadConfig({ NODE_ENV: 'production', JWKS_URL: 'http://auth/jwks', ...REAL_PARTS }).auth.required);
      assert.equal(loadConfig({}).auth.required, false);
    });
  });

  describe('production never runs on make-believe', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-length', ...REAL_PARTS };
    const refusal = (env: Record<string, string | undefined>) => {
      try {
        loadConfig(env);
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        assert.ok(!error.message.includes('\n'), 'one line');
        return error.message;
      }
      return assert.fail('expected a refusal');
    };

    it('refuses the simulated processor, naming what to set and the way out', () => {
      const message = refusal({ ...production, PAYMENT_PROCESSOR: 'simulated', STRIPE_SECRET_KEY: undefined });
      assert.match(message, /^Refusing to start with NODE_ENV=production: set PAYMENT_PROCESSOR=stripe with STRIPE_SECRET_KEY .*ALLOW_SIMULATED_PROCESSOR=true/);
      assert.doesNotMatch(message, /DATABASE_URL/);
    });

    it('refuses the embedded database', () => {
      const message = refusal({ ...production, DATABASE_URL: undefined });
      assert.match(message, /^Refusing to start with NODE_ENV=production: set DATABASE_URL .*ALLOW_EMBEDDED_DATABASE=true/);
      assert.doesNotMatch(message, /PAYMENT_PROCESSOR/);
    });

    it('refuses a boot without DATA_ENCRYPTION_KEY, staging too, naming how to make one', () => {
      const message = refusal({ ...production, DATA_ENCRYPTION_KEY: undefined });
      assert.match(message, /^Refusing to start with NODE_ENV=production: set DATA_ENCRYPTION_KEY \(.*openssl rand -base64 32\)$/);
      const staging = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-length', ALLOW_SIMULATED_PROCESSOR: 'true', ALLOW_EMBEDDED_DATABASE: 'true' };
      assert.match(refusal(staging), /^Refusing to start with NODE_ENV=production: set DATA_ENCRYPTION_KEY /);
      assert.throws(() => loadConfig({ ...production, DATA_ENCRYPTION_KEY: 'c2hvcnQ=' }), /DATA_ENCRYPTION_KEY must be base64 keys of 32 bytes/);
      assert.equal(loadConfig(production).dataKeys?.length, 1);
    });

    it('names both in the same line when both are missing', () => {
      assert.match(refusal({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-length' }), /PAYMENT_PROCESSOR=stripe .* and DATABASE_URL/);
    });

    it('starts on each when explicitly allowed, with a warning to log', () => {
      const staging = loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: 'a-production-secret-of-length',
        ALLOW_SIMULATED_PROCESSOR: 'true',
        ALLOW_EMBEDDED_DATABASE: 'true',
        DATA_ENCRYPTION_KEY: REAL_PARTS.DATA_ENCRYPTION_KEY,
      });
      assert.equal(staging.paymentProcessor, 'simulated');
      assert.equal(staging.productionWarnings.length, 2);
      assert.match(staging.productionWarnings.join('\n'), /ALLOW_SIMULATED_PROCESSOR=true[^\n]*\n.*ALLOW_EMBEDDED_DATABASE=true/);
      assert.deepEqual(loadConfig(production).productionWarnings, []);
    });

    it('leaves development and test alone', () => {
      assert.deepEqual(loadConfig({}).productionWarnings, []);
      assert.deepEqual(loadConfig({ NODE_ENV: 'test' }).productionWarnings, []);
    });

    it('drains 5 s in production and not at all at a terminal, unless told', () => {
      assert.deepEqual(loadConfig(production).shutdown, { drainMs: 5000, timeoutMs: 30_000 });
      assert.deepEqual(loadConfig({}).shutdown, { drainMs: 0, timeoutMs: 30_000 });
      assert.equal(loadConfig({ SHUTDOWN_DRAIN_MS: '250' }).shutdown.drainMs, 250);
      assert.match(refusal({ METRICS_TOKEN: 'short' }), /METRICS_TOKEN must be a string of at least 16 characters \(got 5 characters\)/);
    });
  });
});
