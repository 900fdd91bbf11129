import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard, uniqueEmail } from '../helpers/app.js';
import { startStripeTestApp, type StripeTestApp } from '../stripe-server/stripe-test-app.js';

interface StripeIntent {
  id: string;
  status: string;
  metadata: Record<string, string>;
}

/**
 * Where the service and Stripe used to disagree, each shown against the test server behaving as
 * Stripe does (a stored 500 replayed, emails compared exactly, a detached card refused, amounts off
 * a currency's step refused, keys of at most 255 characters). Each of these failed before its fix.
 */
describe('the service and Stripe agree', () => {
  let t: StripeTestApp;
  const lines: string[] = [];
  before(async () => {
    t = await startStripeTestApp({
      env: { RECONCILE_GRACE_MS: '0' },
      logger: { level: 'warn', stream: { write: (line: string) => void lines.push(line) } },
    });
  });
  after(() => t.close());

  const one = async <T>(sql: string, params: unknown[]) => (await t.db.query<T & Record<string, unknown>>(sql, params)).rows[0]!;
  const newOrder = () => `order_${randomBytes(6).toString('hex')}`;
  const paymentRow = (orderId: string) =>
    one<{ id: string; status: string; processor_payment_intent_id: string | null; create_attempt: number }>(
      'SELECT id, status, processor_payment_intent_id, create_attempt FROM payments WHERE order_id = $1',
      [orderId],
    );
  const intentsFor = async (paymentId: string) =>
    (await t.stripe.objects<StripeIntent>('payment_intent')).filter((pi) => pi.metadata['payment_id'] === paymentId);
  const createCalls = (paymentId: string) =>
    t.stripe.requestsFor('payment_intents.create').filter((r) => r.idempotencyKey?.startsWith(`pi-create:${paymentId}`));

  async function customerWithCard() {
    const customerId = await createCustomer(t.api);
    return { customerId, card: await saveCard(t.api, customerId, await t.newCard()) };
  }

  describe('a 500 Stripe stored for the key is settled by looking the object up, never replayed forever', () => {
    it('Stripe made the intent: found by our row id in its metadata and recorded, with no second intent', async () => {
      const { customerId, card } = await customerWithCard();
      t.stripe.failAndStore({ method: 'POST', path: '/v1/payment_intents' }, { processed: true });
      const orderId = newOrder();
      const response = await pay(t.api, customerId, card, { orderId });
      assert.deepEqual([response.status, response.body.data?.status], [200, 'succeeded'], JSON.stringify(response.body));
      const row = await paymentRow(orderId);
      const intents = await intentsFor(row.id);
      assert.equal(intents.length, 1);
      assert.deepEqual([row.status, row.processor_payment_intent_id, row.create_attempt], ['succeeded', intents[0]!.id, 0]);
      // The SDK's two retries got the stored 500 back; then the list by customer found the intent.
      assert.deepEqual(createCalls(row.id).map((r) => [r.status, r.replayed]), [[500, false], [500, true], [500, true]]);
      const lookup = t.stripe.requestsFor('payment_intents.list').at(-1)!;
      assert.equal(lookup.params['customer'], customerId);
    });

    it('Stripe made nothing: the creation is sent once more under a fresh key, and charges once', async () => {
      const { customerId, card } = await customerWithCard();
      t.stripe.failAndStore({ method: 'POST', path: '/v1/payment_intents' }, { processed: false });
      const orderId = newOrder();
      const response = await pay(t.api, customerId, card, { orderId });
      assert.deepEqual([response.status, response.body.data?.status], [200, 'succeeded'], JSON.stringify(response.body));
      const row = await paymentRow(orderId);
      const intents = await intentsFor(row.id);
      assert.deepEqual([intents.length, row.status, row.processor_payment_intent_id, row.create_attempt], [1, 'succeeded', intents[0]!.id, 1]);
      assert.deepEqual(
        createCalls(row.id).map((r) => [r.idempotencyKey, r.status]),
        [[`pi-create:${row.id}`, 500], [`pi-create:${row.id}`, 500], [`pi-create:${row.id}`, 500], [`pi-create:${row.id}:1`, 200]],
      );
    });

    it('the lookup failed as well: 503, then the reconciler looks again instead of replaying the 500', async () => {
      const { customerId, card } = await customerWithCard();
      t.stripe.failAndStore({ method: 'POST', path: '/v1/payment_intents' }, { processed: true });
      t.stripe.answerNext(503, { method: 'GET', path: '/v1/payment_intents', times: 3 });
      const orderId = newOrder();
      const response = await pay(t.api, customerId, card, { orderId });
      assert.deepEqual([response.status, response.body.code], [503, 'processor_unavailable']);
      const row = await paymentRow(orderId);
      assert.deepEqual([row.status, row.processor_payment_intent_id], ['unknown', null]);

      await t.app.services.reconciler.runOnce();
      const settled = await paymentRow(orderId);
      const intents = await intentsFor(row.id);
      assert.deepEqual([intents.length, settled.status, settled.processor_payment_intent_id], [1, 'succeeded', intents[0]!.id]);
      // The reconciler's resend got the stored 500 once more (replayed), then looked the intent up.
      assert.deepEqual(createCalls(row.id).map((r) => r.replayed).at(-1), true);
    });

    it('a refund Stripe made before its stored 500: found by our refund id in its metadata', async () => {
      const { customerId, card } = await customerWithCard();
      const paymentIntentId = (await pay(t.api, customerId, card)).body.data.payment_intent_id as string;
      t.stripe.failAndStore({ method: 'POST', path: '/v1/refunds' }, { processed: true });
      const response = await t.api.post('/payment/refund', { paymentIntentId, amount: 700 });
      assert.deepEqual([response.status, response.body.data?.status], [200, 'succeeded'], JSON.stringify(response.body));
      const atStripe = (await t.stripe.objects<{ id: string; payment_intent: string }>('refund')).filter((r) => r.payment_intent === paymentIntentId);
      assert.deepEqual(atStripe.map((r) => r.id), [response.body.data.refund_id]);
      const row = await one<{ status: string; processor_refund_id: string }>('SELECT status, processor_refund_id FROM refunds WHERE processor_refund_id = $1', [atStripe[0]!.id]);
      assert.equal(row.status, 'succeeded');
    });
  });

  describe('customers are looked up as Stripe compares emails: exactly', () => {
    const stripeCustomer = async (email: string) => {
      const response = await fetch(`${t.stripe.url}/v1/customers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.stripe.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ email }).toString(),
      });
      return ((await response.json()) as { id: string }).id;
    };

    it('an email typed in another case finds the Stripe customer made with the lower-case email, and makes none', async () => {
      const email = uniqueEmail('alice');
      const existing = await stripeCustomer(email);
      const creates = t.stripe.requestsFor('customers.create').length;
      const response = await t.api.post('/payment/customer', { email: email.replace('alice', 'Alice').replace('example.com', 'Example.com'), name: 'Alice' });
      assert.deepEqual([response.status, response.body.data.customerId], [201, existing]);
      assert.equal(t.stripe.requestsFor('customers.create').length, creates, 'no second Stripe customer');
      const asked = t.stripe.requestsFor('customers.list').slice(-2).map((r) => r.params['email']);
      assert.deepEqual(asked.sort(), [email, email.replace('alice', 'Alice').replace('example.com', 'Example.com')].sort(), 'asked with the lower-case email, then as typed');
    });

    it('a new customer is made at Stripe with the lower-case email', async () => {
      const email = uniqueEmail('Bob');
      const response = await t.api.post('/payment/customer', { email, name: 'Bob' });
      assert.equal(response.status, 201);
      const made = (await t.stripe.objects<{ id: string; email: string }>('customer')).find((c) => c.id === response.body.data.customerId);
      assert.equal(made?.email, email.toLowerCase());
    });

    it('several Stripe customers on one email: the oldest is taken, the others logged', async () => {
      const email = uniqueEmail('dup');
      const oldest = await stripeCustomer(email);
      const newer = await stripeCustomer(email);
      const response = await t.api.post('/payment/customer', { email, name: 'Dup' });
      assert.deepEqual([response.status, response.body.data.customerId], [201, oldest]);
      const logged = lines.map((line) => JSON.parse(line) as { msg: string; kept?: string; duplicates?: string[] }).find((l) => l.kept === oldest);
      assert.deepEqual([logged?.duplicates, /several processor customers share this email/.test(logged?.msg ?? '')], [[newer], true]);
    });
  });

  it('a card saved again after it was deleted is attached anew, and Stripe\'s refusal is 400 payment_method_unusable', async () => {
    const customerId = await createCustomer(t.api);
    const card = await t.newCard();
    assert.equal((await t.api.post('/payment/payment-method', { customerId, paymentMethodId: card })).status, 201);
    assert.equal((await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: card })).status, 200);
    const again = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: card });
    assert.deepEqual([again.status, again.body.success, again.body.code], [400, false, 'payment_method_unusable']);
    assert.match(again.body.message, /detached/);
    const attaches = t.stripe.requestsFor('payment_methods.attach').filter((r) => r.path.includes(card));
    assert.deepEqual(attaches.map((r) => [r.idempotencyKey, r.status, r.replayed]), [
      [`pm-attach:${customerId}:g0:${card}`, 200, false],
      [`pm-attach:${customerId}:g1:${card}`, 400, false],
    ]);
    const saved = await t.db.query('SELECT 1 FROM payment_methods WHERE id = $1', [card]);
    assert.equal(saved.rowCount, 0);
  });

  describe('amounts Stripe refuses are refused first, 400 invalid_amount with the nearest valid amounts', () => {
    const refused = (response: { status: number; body: { code: string; valid_amounts?: number[] } }) => [response.status, response.body.code, response.body.valid_amounts];

    it('charges: ISK in whole krónur (a multiple of 100), three-decimal currencies ending in 0; nothing reaches Stripe', async () => {
      const { customerId, card } = await customerWithCard();
      const before = t.stripe.requestsFor('payment_intents.create').length;
      const isk = await pay(t.api, customerId, card, { amount: 12345, currency: 'isk' });
      assert.deepEqual(refused(isk), [400, 'invalid_amount', [12300, 12400]]);
      assert.match(isk.body.message, /multiple of 100 in ISK.*send 12300 \(123\.00 ISK\) or 12400 \(124\.00 ISK\)/);
      const kwd = await pay(t.api, customerId, card, { amount: 5125, currency: 'kwd' });
      assert.deepEqual(refused(kwd), [400, 'invalid_amount', [5120, 5130]]);
      const nearMinimum = await pay(t.api, customerId, card, { amount: 10050, currency: 'isk' });
      assert.deepEqual(refused(nearMinimum), [400, 'invalid_amount', [10000, 10100]]);
      const belowMinimum = await pay(t.api, customerId, card, { amount: 9950, currency: 'isk' });
      assert.deepEqual(refused(belowMinimum), [400, 'invalid_amount', [10000]]);
      assert.equal(t.stripe.requestsFor('payment_intents.create').length, before);
      const rows = await t.db.query("SELECT 1 FROM payments WHERE currency IN ('isk', 'kwd')");
      assert.equal(rows.rowCount, 0, 'no payment written');
      const ok = await pay(t.api, customerId, card, { amount: 12300, currency: 'isk' });
      assert.deepEqual([ok.status, ok.body.data.status], [200, 'succeeded']);
    });

    it('charges in a currency whose minimum only Stripe knows are refused, not let through with a minimum of 1', async () => {
      const { customerId, card } = await customerWithCard();
      const before = t.stripe.requestsFor('payment_intents.create').length;
      const response = await pay(t.api, customerId, card, { amount: 1, currency: 'krw' });
      assert.deepEqual([response.status, response.body.code, response.body.param], [400, 'validation_failed', 'currency']);
      assert.match(response.body.message, /KRW cannot be charged/);
      assert.equal(t.stripe.requestsFor('payment_intents.create').length, before);
    });

    it('partial captures and refunds', async () => {
      const { customerId, card } = await customerWithCard();
      const authorized = await pay(t.api, customerId, card, { amount: 20000, currency: 'isk', captureMethod: 'manual' });
      const id: string = authorized.body.data.payment_intent_id;
      const capture = await t.api.post(`/payment/payment-intent/${id}/capture`, { amount: 15050 });
      assert.deepEqual(refused(capture), [400, 'invalid_amount', [15000, 15100]]);
      assert.equal(t.stripe.requestsFor('payment_intents.capture').filter((r) => r.path.includes(id)).length, 0);
      const captured = await t.api.post(`/payment/payment-intent/${id}/capture`, { amount: 15000 });
      assert.deepEqual([captured.status, captured.body.data.amount_received], [200, 15000]);

      const paid = (await pay(t.api, customerId, card, { amount: 5000, currency: 'kwd' })).body.data.payment_intent_id as string;
      const refund = await t.api.post('/payment/refund', { paymentIntentId: paid, amount: 1234 });
      assert.deepEqual(refused(refund), [400, 'invalid_amount', [1230, 1240]]);
      assert.equal(t.stripe.requestsFor('refunds.create').filter((r) => r.params['payment_intent'] === paid).length, 0);
      const refunds = await t.db.query('SELECT 1 FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.processor_payment_intent_id = $1', [paid]);
      assert.equal(refunds.rowCount, 0);
    });
  });
});
