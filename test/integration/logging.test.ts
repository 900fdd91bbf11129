import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loggerOptions } from '../../src/app.js';
import { createCustomer, newCardToken, startTestApp, uniqueEmail, type TestApp } from '../helpers/app.js';
import { adminToken } from '../helpers/tokens.js';

describe('logs', () => {
  let t: TestApp;
  const lines: Array<Record<string, any>> = [];
  const raw: string[] = [];

  before(async () => {
    t = await startTestApp({
      logger: {
        ...(loggerOptions({ logLevel: 'trace' }) as object),
        stream: { write: (line: string) => void (raw.push(line), lines.push(JSON.parse(line))) },
      },
    });
  });
  after(() => t.close());

  it('puts the request id on every line written while serving a request, the domain\'s included', async () => {
    const customerId = await createCustomer(t.api, uniqueEmail(), 'Zebulon Quux');
    lines.length = 0;
    // A last4 the processor contradicts makes the domain log a line of its own.
    const response = await t.api.post(
      '/payment/payment-method-details',
      { customerId, paymentMethodId: newCardToken(), cardholderName: 'Xanthippe Voss', last4: '1111', cardType: 'visa', expiryDate: '12/34' },
      { 'x-request-id': 'trace-me-123' },
    );
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal(response.headers['x-request-id'], 'trace-me-123');
    const domainLine = lines.find((line) => String(line.msg).startsWith('the client described the card differently'));
    assert.ok(domainLine, 'the domain logged its line');
    assert.equal(domainLine.reqId, 'trace-me-123');
    const mine = lines.filter((line) => line.reqId === 'trace-me-123').map((line) => line.msg);
    assert.ok(mine.includes('incoming request') && mine.includes('request completed'));
  });

  it('never logs request bodies, names, tokens or secrets, even when an object holding them is logged', async () => {
    const token = await adminToken();
    t.app.log.info(
      {
        headers: { authorization: `Bearer ${token}`, cookie: 'session=abc123secret' },
        customer: { cardholderName: 'Xanthippe Voss', customerName: 'Zebulon Quux', email: 'z@example.com' },
        processor: { response: { client_secret: 'pi_1_secret_shh', token: 'tok_shh' } },
        clientSecret: 'pi_2_secret_shh',
        password: 'hunter2',
      },
      'an object logged by mistake',
    );
    const text = raw.join('');
    assert.ok(text.includes('an object logged by mistake'));
    for (const secret of [token, 'abc123secret', 'Xanthippe', 'Zebulon', 'pi_1_secret_shh', 'tok_shh', 'pi_2_secret_shh', 'hunter2']) {
      assert.ok(!text.includes(secret), `${secret} reached the log`);
    }
    assert.ok(text.includes('[redacted]'));
  });
});
