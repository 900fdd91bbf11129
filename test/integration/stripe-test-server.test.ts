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

  it('lists customers by exact email, case-sensitively, newest first', async () => {
    const older = (await call('POST', '/v1/customers', form({ email: 'case@example.com' }))).body.id;
    const newer = (await call('POST', '/v1/customers', form({ email: 'case@example.com' }))).body.id;
    await call('POST', '/v1/customers', form({ email: 'Case@Example.com' }));
    const listed = await call('GET', `/v1/customers?email=${encodeURIComponent('case@example.com')}`);
    assert.deepEqual(listed.body.data.map((c: { id: string }) => c.id), [newer, older]);
    const first = await call('GET', `/v1/customers?email=${encodeURIComponent('case@example.com')}&limit=1`);
    assert.deepEqual([first.body.data.map((c: { id: string }) => c.id), first.body.has_more], [[newer], true]);
  });

  it('knows Stripe\'s test payment methods and tokens, and nothing else: an unknown pm_ id is 404', async () => {
    const customer = (await call('POST', '/v1/customers', form({ email: 'pm@example.com' }))).body.id;
    for (const [id, last4, funding] of [['pm_card_visa_debit', '5556', 'debit'], ['pm_card_refundFail', '5126', 'credit'], ['pm_card_pendingRefund', '7726', 'credit']]) {
      const attached = await call('POST', `/v1/payment_methods/${id}/attach`, form({ customer }));
      assert.deepEqual([attached.status, attached.body.card.last4, attached.body.card.funding, attached.body.customer], [200, last4, funding, customer], id);
      assert.notEqual(attached.body.id, id, 'a test id stands for a new card');
    }
    const unknown = await call('POST', '/v1/payment_methods/pm_1Abc2Def3Ghi4Jkl5Mno6Pqr/attach', form({ customer }));
    assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'resource_missing']);
    const made = await call('POST', '/v1/payment_methods', form({ type: 'card', 'card[token]': 'tok_refundFail' }));
    assert.deepEqual([made.status, made.body.customer, made.body.card.last4], [200, null, '5126']);
    const attached = await call('POST', `/v1/payment_methods/${made.body.id}/attach`, form({ customer }));
    assert.deepEqual([attached.status, attached.body.id], [200, made.body.id], 'a card Stripe.js made attaches as itself');
    const badToken = await call('POST', '/v1/payment_methods', form({ type: 'card', 'card[token]': 'tok_nope' }));
    assert.equal(badToken.status, 400);
  });

  it('a stored 500 is replayed for its key, whether the object was made or not; other keys go through', async () => {
    const customer = (await call('POST', '/v1/customers', form({ email: 'stored@example.com' }))).body.id;
    const intent = (key: string) =>
      call('POST', '/v1/payment_intents', `amount=1000&currency=usd&customer=${customer}&payment_method=pm_card_visa&confirm=true&return_url=https://x.test&metadata[row]=${key}`, { 'idempotency-key': key });
    const made = async (key: string) => (await server.objects<{ metadata: Record<string, string> }>('payment_intent')).filter((pi) => pi.metadata['row'] === key).length;
    for (const processed of [true, false]) {
      const key = `stored-${processed}`;
      server.failAndStore({ method: 'POST', path: '/v1/payment_intents' }, { processed });
      const first = await intent(key);
      const again = await intent(key);
      assert.deepEqual([first.status, first.headers.get('idempotent-replayed')], [500, null]);
      assert.deepEqual([again.status, again.headers.get('idempotent-replayed'), again.text], [500, 'true', first.text]);
      assert.equal(await made(key), processed ? 1 : 0);
    }
    const fresh = await intent('stored-false:1');
    assert.deepEqual([fresh.status, fresh.body.status], [200, 'succeeded']);
  });

  it('lists a customer\'s intents since a time, and a payment\'s refunds, newest first, a page at a time', async () => {
    const customer = (await call('POST', '/v1/customers', form({ email: 'lists@example.com' }))).body.id;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await call('POST', '/v1/payment_intents', `amount=1000&currency=usd&customer=${customer}&payment_method=pm_card_visa&confirm=true&return_url=https://x.test`)).body.id);
    }
    const page1 = await call('GET', `/v1/payment_intents?customer=${customer}&limit=2&created[gte]=0`);
    assert.deepEqual([page1.body.data.map((pi: { id: string }) => pi.id), page1.body.has_more], [[ids[2], ids[1]], true]);
    const page2 = await call('GET', `/v1/payment_intents?customer=${customer}&limit=2&starting_after=${ids[1]}`);
    assert.deepEqual([page2.body.data.map((pi: { id: string }) => pi.id), page2.body.has_more], [[ids[0]], false]);
    const future = await call('GET', `/v1/payment_intents?customer=${customer}&created[gte]=${Math.floor(Date.now() / 1000) + 3600}`);
    assert.deepEqual(future.body.data, []);
    const refund = (await call('POST', '/v1/refunds', form({ payment_intent: ids[0]!, amount: '100' }))).body.id;
    const refunds = await call('GET', `/v1/refunds?payment_intent=${ids[0]}`);
    assert.deepEqual(refunds.body.data.map((r: { id: string }) => r.id), [refund]);
  });

  it('refunds of pm_card_pendingRefund are pending, then succeed; of pm_card_refundFail succeed, then fail; with Stripe\'s events', async () => {
    const customer = (await call('POST', '/v1/customers', form({ email: 'refunds@example.com' }))).body.id;
    const refundOf = async (card: string) => {
      const pi = (await call('POST', '/v1/payment_intents', `amount=1000&currency=usd&customer=${customer}&payment_method=${card}&confirm=true&return_url=https://x.test`)).body.id;
      return (await call('POST', '/v1/refunds', form({ payment_intent: pi, amount: '400' }))).body;
    };
    const pending = await refundOf('pm_card_pendingRefund');
    const failing = await refundOf('pm_card_refundFail');
    const plain = await refundOf('pm_card_visa');
    assert.deepEqual([pending.status, failing.status, plain.status], ['pending', 'succeeded', 'succeeded']);
    const retrieve = async (id: string) => (await call('GET', `/v1/refunds/${id}`)).body;
    assert.equal((await retrieve(failing.id)).status, 'succeeded', 'nothing changes until Stripe gets to it');

    const settled = await server.settleRefunds();
    assert.deepEqual(settled.map((r) => [r.id, r.status]).sort(), [[pending.id, 'succeeded'], [failing.id, 'failed']].sort());
    const [afterPending, afterFailing, afterPlain] = [await retrieve(pending.id), await retrieve(failing.id), await retrieve(plain.id)];
    assert.deepEqual([afterPending.status, afterFailing.status, afterFailing.failure_reason, afterPlain.status], ['succeeded', 'failed', 'expired_or_canceled_card', 'succeeded']);
    assert.deepEqual(await server.settleRefunds(), [], 'each happens once');

    const events = (await server.events()).filter((e) => [pending.id, failing.id].includes((e.data.object as { id: string }).id));
    assert.deepEqual(
      events.map((e) => [(e.data.object as { id: string }).id === failing.id ? 'failing' : 'pending', e.type, (e.data.object as { status: string }).status]),
      [
        ['pending', 'refund.created', 'pending'],
        ['failing', 'refund.created', 'succeeded'],
        ['pending', 'charge.refund.updated', 'succeeded'],
        ['pending', 'refund.updated', 'succeeded'],
        ['failing', 'charge.refund.updated', 'failed'],
        ['failing', 'refund.updated', 'failed'],
        ['failing', 'refund.failed', 'failed'],
      ],
    );
    assert.ok(events.every((e) => e.object === 'event' && /^evt_/.test(e.id) && e.livemode === false));
    // The failed 400 is refundable again at Stripe.
    const again = await call('POST', '/v1/refunds', form({ payment_intent: failing.payment_intent, amount: '1000' }));
    assert.deepEqual([again.status, again.body.amount], [200, 1000]);
  });

  it('refuses an Idempotency-Key over 255 characters, and amounts Stripe refuses for ISK and three-decimal currencies', async () => {
    const long = await call('POST', '/v1/customers', form({ email: 'k@example.com' }), { 'idempotency-key': 'k'.repeat(256) });
    assert.deepEqual([long.status, long.body.error.type], [400, 'invalid_request_error']);
    const ok = await call('POST', '/v1/customers', form({ email: 'k@example.com' }), { 'idempotency-key': 'k'.repeat(255) });
    assert.equal(ok.status, 200);
    const customer = ok.body.id;
    const charge = (amount: number, currency: string) =>
      call('POST', '/v1/payment_intents', `amount=${amount}&currency=${currency}&customer=${customer}&payment_method=pm_card_visa&confirm=true&return_url=https://x.test`);
    assert.deepEqual([(await charge(12345, 'isk')).status, (await charge(12300, 'isk')).status], [400, 200]);
    assert.deepEqual([(await charge(5125, 'kwd')).status, (await charge(5120, 'kwd')).status], [400, 200]);
  });
});
