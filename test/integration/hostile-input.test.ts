import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { documentedRoutes } from '../helpers/guarded-routes.js';
import { tableDigest } from '../helpers/table-digest.js';
import { adminToken } from '../helpers/tokens.js';

/** Sends raw bytes to the listening app and answers the status line, headers and body of the reply. */
async function rawExchange(port: number, bytes: string): Promise<{ status: number; headers: Record<string, string>; body: any }> {
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    socket.on('end', () => resolve(received));
    socket.on('close', () => resolve(received));
    socket.on('error', (error) => (received ? resolve(received) : reject(error)));
    socket.write(bytes);
  });
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) };
}

const isEnvelope = (body: any, code: string) => {
  assert.equal(body.success, false);
  assert.equal(body.code, code);
  assert.equal(typeof body.message, 'string');
  assert.deepEqual(Object.keys(body).filter((k) => k === 'error' || k === 'statusCode'), [], 'no Fastify error shape');
};

describe('hostile input', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await startTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  it('answers a body nested thousands of levels deep, with an Idempotency-Key, with 400 and stores nothing', async () => {
    const before = await tableDigest(t.db);
    for (const [open, close] of [['{"a":', '}'], ['[', ']']] as const) {
      const body = `{"email":"deep@example.com","x":${open.repeat(5000)}1${close.repeat(5000)}}`;
      for (const url of ['/payment/customer', '/payment/payment-intent', '/payment/refund']) {
        const response = await t.api.post(url, body, { 'idempotency-key': `deep-${url}-${open}` });
        assert.equal(response.status, 400, `${url}: ${JSON.stringify(response.body)}`);
        isEnvelope(response.body, 'validation_failed');
        assert.match(response.body.message, /more than 32 levels deep/);
      }
    }
    const query = await t.api.get(`/payment/payments?${'a[b]'.repeat(2000)}=1`);
    assert.ok(query.status < 500, `a deep query string answered ${query.status}`);
    assert.deepEqual(await tableDigest(t.db), before);
  });

  it('answers a path parameter of thousands of characters with 414 in the envelope', async () => {
    for (const url of [`/payment/payment-intent/${'a'.repeat(5000)}`, `/payment/customer/${'%41'.repeat(3000)}`, `/payment/payment-methods/cus_${'x'.repeat(1100)}`]) {
      const response = await t.api.get(url);
      assert.equal(response.status, 414, url.slice(0, 40));
      isEnvelope(response.body, 'uri_too_long');
      assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    }
    // Up to the limit, a long parameter is the route's own 400 (an id is at most 255 characters).
    const long = await t.api.get(`/payment/payment-intent/${'a'.repeat(1000)}`);
    assert.equal(long.status, 400);
    isEnvelope(long.body, 'validation_failed');
  });

  it('answers a malformed percent-encoding in the path with 400 in the envelope', async () => {
    for (const url of ['/payment/payment-intent/%E0%A4%A', '/payment/customer/%', '/payment/customer/a%zz%40example.com', '/payment/payment-methods/%C0%AF']) {
      const response = await t.api.get(url);
      assert.equal(response.status, 400, url);
      isEnvelope(response.body, 'validation_failed');
      assert.ok(response.headers['x-request-id'], 'the answer carries a request id');
    }
  });

  it('answers what Node\'s HTTP parser refuses in the envelope, with a request id: headers too large, a broken request line', async () => {
    const huge = await rawExchange(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.equal(huge.status, 431);
    isEnvelope(huge.body, 'headers_too_large');
    assert.match(huge.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    const broken = await rawExchange(port, 'BROKEN\r\n\r\n');
    assert.equal(broken.status, 400);
    isEnvelope(broken.body, 'validation_failed');
    assert.ok(broken.headers['x-request-id']);
  });

  it('bounds connections in time, and answers a client too slow to send its headers with 408 in the envelope', async () => {
    const slow = await startTestApp({ env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_CONNECTION_TIMEOUT_MS: '5000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '4000' } });
    try {
      await slow.app.listen({ port: 0, host: '127.0.0.1' });
      const server = slow.app.server;
      assert.deepEqual([server.headersTimeout, server.requestTimeout, server.timeout, server.keepAliveTimeout], [1000, 1500, 5000, 4000]);
      const started = Date.now();
      const answer = await rawExchange((server.address() as { port: number }).port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      assert.equal(answer.status, 408);
      isEnvelope(answer.body, 'request_timeout');
      assert.ok(answer.headers['x-request-id']);
      assert.ok(Date.now() - started < 4000, `answered after ${Date.now() - started} ms`);
    } finally {
      await slow.close();
    }
  });

  it('answers 413, 415 and unknown routes in the envelope over a real connection, with a request id', async () => {
    const base = `http://127.0.0.1:${port}`;
    const authorization = `Bearer ${await adminToken()}`;
    const big = await fetch(`${base}/payment/customer`, { method: 'POST', headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a@example.com', name: 'x'.repeat(100_000) }) });
    assert.equal(big.status, 413);
    isEnvelope(await big.json(), 'payload_too_large');
    assert.ok(big.headers.get('x-request-id'));
    const xml = await fetch(`${base}/payment/customer`, { method: 'POST', headers: { authorization, 'content-type': 'application/xml' }, body: '<a/>' });
    assert.equal(xml.status, 415);
    isEnvelope(await xml.json(), 'unsupported_media_type');
    assert.ok(xml.headers.get('x-request-id'));
  });

  it('documents 413, 414, 415 and 429 (and card data under 400) on every route that can answer them', async () => {
    const spec = (await t.api.get('/payment/api-docs.json')).body;
    for (const route of documentedRoutes(spec)) {
      const [method, path] = route.split(' ') as [string, string];
      const responses = spec.paths[path][method.toLowerCase()].responses;
      assert.match(responses['400'].description, /card_data_not_allowed/, route);
      assert.ok(responses['500'], `${route} documents 500`);
      // The probes and Stripe's webhook (whose signature guards it) are not rate limited.
      const unlimited = /\/(health|ready)$/.test(path) || path === '/payment/webhooks/stripe';
      assert.equal(Boolean(responses['429']), !unlimited, `${route} documents 429 unless it is a probe or the webhook`);
      assert.equal(Boolean(responses['414']), path.includes('{'), `${route} documents 414 when it has a path parameter`);
      for (const status of ['413', '415']) assert.equal(Boolean(responses[status]), method !== 'GET', `${route} ${status}`);
      for (const [status, response] of Object.entries<any>(responses)) {
        if (Number(status) >= 400) assert.deepEqual(response.content['application/json'].schema.required, ['success', 'message', 'code'], `${route} ${status}`);
      }
    }
  });
});
