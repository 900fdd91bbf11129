import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { dataKeyId } from '../../src/crypto/data-cipher.js';
import { bootSummary, stripeMode } from '../../src/observability/boot-summary.js';

describe('the boot summary line', () => {
  it('names the environment, processor and its mode, database host without credentials, auth and notifications', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'a-production-secret-of-length',
      PAYMENT_PROCESSOR: 'stripe',
      STRIPE_SECRET_KEY: 'sk_live_secretpart',
      DATABASE_URL: 'postgres://app:hunter2@db.internal:6432/payments',
      ORDER_SERVICE_URL: 'http://order-service:80/order',
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    const { message, fields } = bootSummary(config, false);
    assert.equal(
      message,
      `boot: environment production, processor stripe (live mode), database postgresql db.internal:6432/payments, auth required: user tokens, notifications on, data key ${dataKeyId(Buffer.alloc(32, 7))}`,
    );
    assert.equal(fields.environment, 'production');
    const text = JSON.stringify({ message, fields });
    for (const secret of ['hunter2', 'secretpart', 'a-production-secret']) assert.ok(!text.includes(secret), `no ${secret}`);
  });

  it('says simulated, embedded, development secret and off in development', () => {
    const { message } = bootSummary(loadConfig({ DATA_DIR: '/tmp/x' }), true);
    assert.equal(message, 'boot: environment development, processor simulated, database embedded (/tmp/x), auth development secret, notifications off, data key made for this process');
  });

  it('names the sealing key by its id, and how many older keys still open', () => {
    const keys = [Buffer.alloc(32, 1), Buffer.alloc(32, 2)];
    const { message, fields } = bootSummary(loadConfig({ DATA_ENCRYPTION_KEY: keys.map((k) => k.toString('base64')).join(',') }), false);
    assert.match(message, new RegExp(`, data key ${dataKeyId(keys[0]!)} \\(\\+1 older\\)$`));
    assert.equal(fields.dataKey, `${dataKeyId(keys[0]!)} (+1 older)`);
    assert.ok(!message.includes(keys[0]!.toString('base64')), 'never the key itself');
  });

  it('tells live from test keys by their prefix', () => {
    assert.deepEqual(['sk_live_1', 'rk_live_1', 'sk_test_1', 'rk_test_1', 'sk_abc'].map(stripeMode), ['live', 'live', 'test', 'test', 'unknown']);
  });
});
