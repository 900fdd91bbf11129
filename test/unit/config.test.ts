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
});
