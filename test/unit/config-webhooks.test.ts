import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { webhookSecrets } from '../../src/config-webhooks.js';

const STRIPE = { PAYMENT_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: 'sk_test_abc', JWT_SECRET: 'x'.repeat(32) };

describe('webhook configuration', () => {
  it('reads STRIPE_WEBHOOK_SECRET as a trimmed, comma-separated list (two while one is rotated)', () => {
    const config = loadConfig({ ...STRIPE, STRIPE_WEBHOOK_SECRET: ' whsec_new123 , whsec_old456\n' });
    assert.deepEqual(config.webhooks.secrets, ['whsec_new123', 'whsec_old456']);
    assert.deepEqual(webhookSecrets(config), ['whsec_new123', 'whsec_old456']);
  });

  it('refuses a value that is not a signing secret, without echoing it', () => {
    for (const [value, pattern] of [
      ['sk_live_verysecret', /entry 1 is not \(got 18 characters; that is an API key/],
      ['whsec_ok,not a secret', /entry 2 is not \(got 12 characters\)/],
    ] as const) {
      assert.throws(() => loadConfig({ ...STRIPE, STRIPE_WEBHOOK_SECRET: value }), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /^Invalid configuration: STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret/);
        assert.match(error.message, pattern);
        assert.ok(!error.message.includes('verysecret') && !error.message.includes('not a secret'), 'the value is never shown');
        return true;
      });
    }
  });

  it('derives a development secret only for the simulated processor outside production, the same for the same user-token secret', () => {
    const simulated = loadConfig({ JWT_SECRET: 'y'.repeat(32) });
    const [derived] = webhookSecrets(simulated);
    assert.match(derived!, /^whsec_[A-Za-z0-9]{32}$/);
    assert.deepEqual(webhookSecrets(loadConfig({ JWT_SECRET: 'y'.repeat(32) })), [derived]);
    assert.notDeepEqual(webhookSecrets(loadConfig({ JWT_SECRET: 'z'.repeat(32) })), [derived]);
    assert.deepEqual(webhookSecrets(loadConfig(STRIPE)), [], 'with Stripe: none unless configured');
    assert.deepEqual(webhookSecrets(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'y'.repeat(32), ALLOW_SIMULATED_PROCESSOR: 'true', ALLOW_EMBEDDED_DATABASE: 'true', DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') })), [], 'in production: none unless configured');
  });

  it('delivers the simulated processor\'s events unless SIMULATED_WEBHOOKS=off, and never with Stripe', () => {
    assert.equal(loadConfig({}).webhooks.simulatedDelivery, true);
    assert.equal(loadConfig({ SIMULATED_WEBHOOKS: 'off' }).webhooks.simulatedDelivery, false);
    assert.equal(loadConfig(STRIPE).webhooks.simulatedDelivery, false);
  });
});
