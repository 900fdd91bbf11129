import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redactSensitive } from '../../src/http/logging.js';

describe('log redaction', () => {
  it('replaces sensitive keys up to three levels deep, in objects and arrays, and leaves the caller\'s object as it was', () => {
    const logged = {
      token: 't0',
      customer: { cardholderName: 'Xanthippe Voss', email: 'x@example.com' },
      processor: { response: { client_secret: 'pi_secret', id: 'pi_1' } },
      attempts: [{ password: 'hunter2' }],
      headers: { 'idempotency-key': 'k-1', 'set-cookie': 's=1', accept: 'json' },
      deep: { a: { b: { token: 'four levels down' } } },
      count: 3,
    };
    const before = structuredClone(logged);
    assert.deepEqual(redactSensitive(logged), {
      token: '[redacted]',
      customer: { cardholderName: '[redacted]', email: 'x@example.com' },
      processor: { response: { client_secret: '[redacted]', id: 'pi_1' } },
      attempts: [{ password: '[redacted]' }],
      headers: { 'idempotency-key': '[redacted]', 'set-cookie': '[redacted]', accept: 'json' },
      // Beyond three levels, as pino's paths (key, *.key, *.*.key) were.
      deep: { a: { b: { token: 'four levels down' } } },
      count: 3,
    });
    assert.deepEqual(logged, before, 'nothing the caller holds is changed');
  });

  it('answers an object without sensitive keys as it is, and an Error still as an Error with its message and stack', () => {
    const plain = { orderId: 'o_1', amount: 2500, nested: { status: 'succeeded' } };
    assert.equal(redactSensitive(plain), plain, 'not copied');
    const error = Object.assign(new Error('refused'), { config: { apiKey: 'sk_live_shh' } });
    const out = redactSensitive({ err: error }) as { err: Error & { config: { apiKey: string } } };
    assert.ok(out.err instanceof Error);
    assert.equal(out.err.message, 'refused');
    assert.equal(out.err.stack, error.stack);
    assert.equal(out.err.config.apiKey, '[redacted]');
    assert.equal(error.config.apiKey, 'sk_live_shh');
  });

  it('does not walk the request and reply, which their serializers make safe', () => {
    const req = { headers: { authorization: 'Bearer x' } };
    const out = redactSensitive({ req, msg: 'incoming request' }) as { req: unknown };
    assert.equal(out.req, req);
  });
});
