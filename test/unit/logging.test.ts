import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loggableUrl } from '../../src/http/logging.js';
import { logDestination, resolveLogFormat } from '../../src/logging.js';

describe('log format and redaction', () => {
  it('pretty-prints for a person at a terminal outside production, JSON for everything else, LOG_FORMAT first', () => {
    assert.equal(resolveLogFormat({ logFormat: null, nodeEnv: 'development' }, true), 'pretty');
    assert.equal(resolveLogFormat({ logFormat: null, nodeEnv: 'test' }, true), 'pretty');
    assert.equal(resolveLogFormat({ logFormat: null, nodeEnv: 'production' }, true), 'json');
    assert.equal(resolveLogFormat({ logFormat: null, nodeEnv: 'development' }, false), 'json');
    assert.equal(resolveLogFormat({ logFormat: 'json', nodeEnv: 'development' }, true), 'json');
    assert.equal(resolveLogFormat({ logFormat: 'pretty', nodeEnv: 'production' }, false), 'pretty');
  });

  it('LOG_FORMAT=pretty gives pino-pretty\'s stream (installed here as a development dependency); json gives pino\'s own', async () => {
    const pretty = await logDestination({ logFormat: 'pretty', nodeEnv: 'development' });
    assert.equal(typeof pretty?.write, 'function');
    assert.equal(await logDestination({ logFormat: 'json', nodeEnv: 'development' }), null);
  });

  it('leaves the value of a challenge query parameter out of a logged URL, and the rest as it was', () => {
    assert.equal(loggableUrl('/payment/simulated/3ds/pi_1?challenge=abc&x=1'), '/payment/simulated/3ds/pi_1?challenge=[redacted]&x=1');
    assert.equal(loggableUrl('/p?x=1&challenge=abc'), '/p?x=1&challenge=[redacted]');
    assert.equal(loggableUrl('/payment/payments?customerId=cus_1&limit=5'), '/payment/payments?customerId=cus_1&limit=5');
    assert.equal(loggableUrl('/payment/customer/a%40b.com'), '/payment/customer/a%40b.com');
    // Escapes are decoded only to look for card numbers: a logged URL never carries a decoded line break.
    assert.equal(loggableUrl('/payment/customer/a%0Ab.com'), '/payment/customer/a%0Ab.com');
  });
});
