import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('HTTP behaviour common to every route', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ env: { BODY_LIMIT_BYTES: '2048' } });
  });
  after(() => t.close());

  const isEnvelope = (body: any, code: string) => {
    assert.equal(body.success, false);
    assert.equal(body.code, code);
    assert.equal(typeof body.message, 'string');
    assert.ok(body.message.length > 0);
  };

  it('answers unknown routes with a 404 envelope', async () => {
    const response = await t.api.get('/payment/nothing-here');
    assert.equal(response.status, 404);
    isEnvelope(response.body, 'not_found');
    const wrongMethod = await t.api.request('PATCH', '/payment/customer', {});
    assert.equal(wrongMethod.status, 404);
    isEnvelope(wrongMethod.body, 'not_found');
  });

  it('answers malformed JSON with 400 malformed_json', async () => {
    const response = await t.api.post('/payment/customer', '{"email": ');
    assert.equal(response.status, 400);
    isEnvelope(response.body, 'malformed_json');
    const empty = await t.api.request('POST', '/payment/customer', undefined, { 'content-type': 'application/json' });
    assert.equal(empty.status, 400);
    isEnvelope(empty.body, 'malformed_json');
  });

  it('answers a body that is not an object with 400', async () => {
    const response = await t.api.post('/payment/customer', '[1,2]');
    assert.equal(response.status, 400);
    isEnvelope(response.body, 'validation_failed');
  });

  it('refuses a NUL character anywhere in a request with 400, before anything is changed', async () => {
    const before = await t.db.query('SELECT count(*)::int AS n FROM customers');
    for (const [method, url, body, where] of [
      ['POST', '/payment/customer', { email: 'nul@example.com', name: 'Jo\u0000hn' }, 'name'],
      ['GET', '/payment/payment-intent/pi_%00', undefined, 'id'],
      ['GET', '/payment/payments?orderId=order%00x', undefined, 'orderId'],
    ] as const) {
      const response = await t.api.request(method, url, body);
      assert.equal(response.status, 400, url);
      isEnvelope(response.body, 'validation_failed');
      assert.match(response.body.message, new RegExp(`^${where} contains a NUL character`));
    }
    assert.deepEqual((await t.db.query('SELECT count(*)::int AS n FROM customers')).rows, before.rows);
  });

  it('answers a wrong content type with 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await t.api.request('POST', '/payment/customer', undefined, { 'content-type': type });
      assert.equal(response.status, 415, type);
      isEnvelope(response.body, 'unsupported_media_type');
    }
  });

  it('answers a body over the limit with 413', async () => {
    const response = await t.api.post('/payment/customer', { email: 'a@example.com', name: 'x'.repeat(4096) });
    assert.equal(response.status, 413);
    isEnvelope(response.body, 'payload_too_large');
  });

  it('answers an unexpected failure with 500 and no internals', async () => {
    const broken = await startTestApp();
    await broken.db.query('DROP TABLE payment_methods CASCADE');
    try {
      const customer = await broken.api.post('/payment/customer', { email: 'broken@example.com', name: 'B' });
      const response = await broken.api.get(`/payment/payment-methods/${customer.body.data.customerId}`);
      assert.equal(response.status, 500);
      assert.deepEqual(response.body, { success: false, message: 'Internal server error', code: 'internal_error' });
    } finally {
      await broken.close();
    }
  });

  it('echoes a request id', async () => {
    const response = await t.api.get('/health', { 'x-request-id': 'abc-123' });
    assert.equal(response.headers['x-request-id'], 'abc-123');
    const generated = await t.api.get('/health');
    assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  describe('health', () => {
    for (const prefix of ['', '/payment']) {
      it(`${prefix}/health and ${prefix}/ready answer 200`, async () => {
        assert.deepEqual((await t.api.get(`${prefix}/health`)).body, { success: true, data: { status: 'ok' } });
        const ready = await t.api.get(`${prefix}/ready`);
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.body, { success: true, data: { status: 'ready' } });
      });
    }

    it('/ready answers 503 when the database is gone', async () => {
      const doomed = await startTestApp();
      await doomed.db.close();
      try {
        const response = await doomed.api.get('/ready');
        assert.equal(response.status, 503);
        isEnvelope(response.body, 'service_unavailable');
      } finally {
        await doomed.app.close();
        await doomed.database.close().catch(() => {});
      }
    });
  });

  describe('API docs', () => {
    it('serves Swagger UI and the OpenAPI document, with every route, example and error response', async () => {
      const ui = await t.api.get('/payment/api-docs');
      assert.ok(ui.status === 200 || ui.status === 302, `ui answered ${ui.status}`);
      const spec = await t.api.get('/payment/api-docs.json');
      assert.equal(spec.status, 200);
      assert.equal(spec.body.openapi, '3.0.3');
      const expected: Array<[string, string]> = [
        ['/payment/customer', 'post'],
        ['/payment/customer/{email}', 'get'],
        ['/payment/payment-method', 'post'],
        ['/payment/payment-method', 'put'],
        ['/payment/payment-method', 'delete'],
        ['/payment/payment-method-details', 'post'],
        ['/payment/payment-methods/{customerId}', 'get'],
        ['/payment/payment-intent', 'post'],
        ['/payment/payment-intent/{id}', 'get'],
        ['/payment/payment-intent/{id}/capture', 'post'],
        ['/payment/payment-intent/{id}/cancel', 'post'],
        ['/payment/payments', 'get'],
        ['/payment/refund', 'post'],
        ['/payment/refunds', 'get'],
      ];
      for (const [path, method] of expected) {
        const operation = spec.body.paths[path]?.[method];
        assert.ok(operation, `${method.toUpperCase()} ${path} is documented`);
        assert.ok(operation.summary, `${method} ${path} has a summary`);
        assert.ok(operation.responses['400'], `${method} ${path} documents 400`);
        assert.ok(operation.responses['500'], `${method} ${path} documents 500`);
        const success = operation.responses['200'] ?? operation.responses['201'];
        assert.ok(success, `${method} ${path} documents its success`);
        const body = operation.requestBody?.content?.['application/json']?.schema;
        if (body) {
          for (const [name, property] of Object.entries<any>(body.properties)) {
            if (property.type === 'string' && !property.anyOf && !property.enum && name !== 'description') {
              assert.ok(property.examples || property.example || property.description, `${method} ${path} ${name} has an example or description`);
            }
          }
        }
      }
    });
  });
});
