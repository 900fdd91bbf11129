import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StripeTestServer } from '../stripe-server/stripe-test-server.js';

/** The test server on the wire, without the SDK: what it accepts and answers is Stripe's format. */
describe('the Stripe test server speaks Stripe\'s wire format', () => {
  let server: StripeTestServer;
  before(async () => {
    server = await StripeTestServer.start();
  });
  after(() => server.close());

  async function call(method: string, path: string, form = '', headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${server.secretKey}`, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      ...(method === 'POST' ? { body: form } : {}),
    });
    const text = await response.text();
    return { status: response.status, text, body: JSON.parse(text), headers: response.headers };
  }
  const form = (pairs: Record<string, string>) => new URLSearchParams(pairs).toString();

  it('reads bracketed keys into nested parameters, and both array notations', async () => {
    const created = await call('POST', '/v1/customers', 'email=a%40example.com&name=Ann&metadata[order_id]=o1&metadata%5Bcustomer_ref%5D=r1&expand[]=x&expand[1]=y');
    assert.equal(created.status, 200);
    assert.deepEqual([created.body.object, created.body.email, created.body.metadata], ['customer', 'a@example.com', { order_id: 'o1', customer_ref: 'r1' }]);
    assert.deepEqual(server.requests.at(-1)!.params['expand'], ['x', 'y']);
    const listed = await call('GET', `/v1/customers?email=${encodeURIComponent('a@example.com')}&limit=1`);
    assert.deepEqual([listed.body.object, listed.body.url, listed.body.data[0].id], ['list', '/v1/customers', created.body.id]);
  });

  it('refuses unknown, missing and mistyped parameters with Stripe\'s error object, naming the param in brackets', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['amount=100&currency=usd&colour=red', 'parameter_unknown', 'colour', 'Received unknown parameter: colour'],
      ['amount=100&currency=usd&automatic_payment_methods[enabled]=true&automatic_payment_methods[sometimes]=1', 'parameter_unknown', 'automatic_payment_methods[sometimes]', 'Received unknown parameter: automatic_payment_methods[sometimes]'],
      ['currency=usd', 'parameter_missing', 'amount', 'Missing required param: amount.'],
      ['amount=ten&currency=usd', 'parameter_invalid_integer', 'amount', 'Invalid integer: ten'],
      ['amount=100&currency=usd&confirm=perhaps', 'parameter_invalid_boolean', 'confirm', 'Invalid boolean: perhaps'],
    ];
    for (const [body, code, param, message] of cases) {
      const response = await call('POST', '/v1/payment_intents', body);
      assert.equal(response.status, 400, body);
      assert.deepEqual(response.body, { error: { type: 'invalid_request_error', code, message, param } }, body);
    }
  });

  it('requires a return_url for a confirmation unless redirects are off, and refuses both', async () => {
    const customer = (await call('POST', '/v1/customers', form({ email: 'r@example.com' }))).body.id;
    const base = `amount=1000&currency=usd&customer=${customer}&payment_method=pm_card_visa&confirm=true`;
    const neither = await call('POST', '/v1/payment_intents', base);
    assert.deepEqual([neither.status, neither.body.error.param], [400, 'return_url']);
    const both = await call('POST', '/v1/payment_intents', `${base}&return_url=https://x.test&automatic_payment_methods[enabled]=true&automatic_payment_methods[allow_redirects]=never`);
    assert.deepEqual([both.status, both.body.error.param], [400, 'return_url']);
    const ok = await call('POST', '/v1/payment_intents', `${base}&automatic_payment_methods[enabled]=true&automatic_payment_methods[allow_redirects]=never`);
    assert.deepEqual([ok.status, ok.body.status], [200, 'succeeded']);
  });

  it('answers a declined confirmation with 402 and the PaymentIntent inside the error', async () => {
    const customer = (await call('POST', '/v1/customers', form({ email: 'd@example.com' }))).body.id;
    const response = await call(
      'POST',
      '/v1/payment_intents',
      `amount=1000&currency=usd&customer=${customer}&payment_method=pm_card_chargeDeclinedInsufficientFunds&confirm=true&return_url=https://x.test`,
    );
    assert.equal(response.status, 402);
    const { payment_intent: intent, ...error } = response.body.error;
    assert.deepEqual(error, { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' });
    assert.deepEqual([intent.object, intent.status, intent.last_payment_error.decline_code], ['payment_intent', 'requires_payment_method', 'insufficient_funds']);
  });

  it('replays the stored answer byte for byte for the same key and parameters; other parameters are an idempotency_error', async () => {
    const key = `test-key-${Date.now()}`;
    const body = form({ email: 'idem@example.com', name: 'Idem' });
    const first = await call('POST', '/v1/customers', body, { 'idempotency-key': key });
    const second = await call('POST', '/v1/customers', body, { 'idempotency-key': key });
    assert.equal(second.text, first.text);
    assert.deepEqual([first.headers.get('idempotent-replayed'), second.headers.get('idempotent-replayed')], [null, 'true']);
    assert.equal(second.headers.get('idempotency-key'), key);
    const other = await call('POST', '/v1/customers', form({ email: 'other@example.com' }), { 'idempotency-key': key });
    assert.equal(other.status, 400);
    assert.equal(other.body.error.type, 'idempotency_error');
    const customers = (await server.objects<{ email: string }>('customer')).filter((c) => c.email === 'idem@example.com');
    assert.equal(customers.length, 1);
  });

  it('checks the Bearer key like Stripe: 401 without it or with another, the key shown masked', async () => {
    const missing = await call('GET', '/v1/customers?email=x%40example.com', '', { authorization: '' });
    assert.equal(missing.status, 401);
    assert.match(missing.body.error.message, /You did not provide an API key/);
    const wrongKey = 'sk_test_notTheRightOne9876';
    const wrong = await call('GET', '/v1/customers?email=x%40example.com', '', { authorization: `Bearer ${wrongKey}` });
    assert.deepEqual([wrong.status, wrong.body.error.type], [401, 'invalid_request_error']);
    assert.equal(wrong.text.includes(wrongKey), false);
    assert.match(wrong.body.error.message, /^Invalid API Key provided: sk_test_\*+9876$/);
  });

  it('answers an unknown URL with 404, and armed faults for exactly the requests they name', async () => {
    const unknown = await call('GET', '/v1/charges_of_the_light_brigade');
    assert.deepEqual([unknown.status, unknown.body.error.type], [404, 'invalid_request_error']);
    server.answerNext(503, { method: 'GET', path: /^\/v1\/customers/, times: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('GET', '/v1/customers?email=f%40example.com')).status);
    assert.deepEqual(statuses, [503, 503, 200]);
    server.answerNext(429, { path: '/v1/customers' });
    const limited = await call('POST', '/v1/customers', form({ email: 'l@example.com' }));
    assert.deepEqual([limited.status, limited.body.error.code], [429, 'rate_limit']);
  });
});
