import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';

const ALLOWED = 'https://app.communedrop.example';

describe('security headers and CORS', () => {
  let closed: TestApp;
  let open: TestApp;
  before(async () => {
    [closed, open] = await Promise.all([startTestApp(), startTestApp({ env: { CORS_ORIGINS: `${ALLOWED},http://localhost:5173` } })]);
  });
  after(() => Promise.all([closed.close(), open.close()]));

  it('sends helmet\'s headers on every answer, errors and docs included', async () => {
    for (const response of [
      await closed.api.get('/payment/payments'),
      await closed.anonymous.get('/payment/payments'),
      await closed.api.get('/payment/nothing'),
      await closed.anonymous.get('/payment/api-docs.json'),
    ]) {
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.match(String(response.headers['strict-transport-security']), /max-age=\d+/);
      assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
      assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
      assert.doesNotMatch(String(response.headers['content-security-policy']), /upgrade-insecure-requests/);
      assert.ok(response.headers['x-request-id']);
    }
  });

  it('answers no CORS headers without CORS_ORIGINS, so no other origin\'s page can read an answer', async () => {
    const response = await closed.api.get('/payment/payments', { origin: ALLOWED });
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    const preflight = await closed.anonymous.request('OPTIONS', '/payment/payment-intent', undefined, {
      origin: ALLOWED, 'access-control-request-method': 'POST',
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    assert.equal(preflight.body.code, 'not_found');
  });

  it('allows exactly the listed origins, with the headers the API needs', async () => {
    const allowed = await open.api.get('/payment/payments', { origin: ALLOWED });
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['access-control-allow-origin'], ALLOWED);
    assert.match(String(allowed.headers['access-control-expose-headers']), /X-Request-Id/);
    assert.equal(allowed.headers['access-control-allow-credentials'], undefined);

    const other = await open.api.get('/payment/payments', { origin: 'https://evil.example' });
    assert.equal(other.headers['access-control-allow-origin'], undefined);

    const preflight = await open.anonymous.request('OPTIONS', '/payment/payment-intent', undefined, {
      origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key',
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], ALLOWED);
    assert.match(String(preflight.headers['access-control-allow-headers']), /Idempotency-Key/);
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
  });
});
