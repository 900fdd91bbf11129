import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard } from '../helpers/app.js';
import { startStripeTestApp, type StripeTestApp } from '../stripe-server/stripe-test-app.js';

interface StripeIntent {
  id: string;
  status: string;
  amount_received: number;
  metadata: Record<string, string>;
}

/**
 * What the Stripe processor does when Stripe declines, asks for 3-D Secure, fails, limits, or
 * loses the connection after acting. The SDK's retries (2, with the row's idempotency key) are the
 * production settings.
 */
describe('the Stripe processor when things go wrong', () => {
  let t: StripeTestApp;
  before(async () => {
    t = await startStripeTestApp({ env: { RECONCILE_GRACE_MS: '0' } });
  });
  afterEach(() => t.stripe.clearFaults());
  after(() => t.close());

  const rowFor = async (orderId: string) =>
    (await t.db.query<{ id: string; status: string; processor_payment_intent_id: string | null; decline_code: string | null; amount_received: number }>(
      'SELECT id, status, processor_payment_intent_id, decline_code, amount_received FROM payments WHERE order_id = $1 ORDER BY created_at',
      [orderId],
    )).rows;
  const intentsAtStripe = async (paymentId: string) =>
    (await t.stripe.objects<StripeIntent>('payment_intent')).filter((pi) => pi.metadata['payment_id'] === paymentId);
  const createCalls = (paymentId: string) => t.stripe.requestsFor('payment_intents.create').filter((r) => r.idempotencyKey === `pi-create:${paymentId}`);

  async function customerWithCard(token?: string) {
    const customerId = await createCustomer(t.api);
    return { customerId, card: await saveCard(t.api, customerId, token ?? 'pm_card_visa') };
  }
  const newOrder = (label: string) => `order_${label}_${Math.random().toString(36).slice(2)}`;

  it('a declined card (generic and insufficient funds): 402 with Stripe\'s decline code, the attempt recorded under Stripe\'s id, its intent canceled', async () => {
    const customerId = await createCustomer(t.api);
    for (const [token, declineCode] of [
      ['pm_card_chargeDeclined', 'generic_decline'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ] as const) {
      const orderId = newOrder('declined');
      const response = await pay(t.api, customerId, token, { orderId });
      assert.equal(response.status, 402);
      assert.deepEqual([response.body.code, response.body.decline_code], ['card_declined', declineCode]);
      const [row] = await rowFor(orderId);
      assert.deepEqual([row?.status, row?.decline_code, row?.processor_payment_intent_id], ['canceled', declineCode, response.body.payment_intent_id]);
      // Given up on: the open intent is canceled at Stripe, once, with a key derived from the row.
      const [intent] = await intentsAtStripe(row!.id);
      assert.deepEqual([intent?.id, intent?.status, intent?.amount_received], [response.body.payment_intent_id, 'canceled', 0]);
      // Stripe answered 402 with the intent inside the error.
      assert.deepEqual(createCalls(row!.id).map((r) => r.status), [402]);
      const cancels = t.stripe.requestsFor('payment_intents.cancel').filter((r) => r.path === `/v1/payment_intents/${response.body.payment_intent_id}/cancel`);
      assert.deepEqual(cancels.map((r) => [r.status, r.idempotencyKey]), [[200, `pi-cancel:${row!.id}:1`]]);
    }
  });

  it('3-D Secure: 200 requires_action with next_action and the client secret; the row waits in requires_action', async () => {
    const { customerId, card } = await customerWithCard('pm_card_authenticationRequired');
    const orderId = newOrder('3ds');
    const response = await pay(t.api, customerId, card, { orderId });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.status, 'requires_action');
    assert.equal(response.body.data.next_action.type, 'use_stripe_sdk');
    const [row] = await rowFor(orderId);
    const [intent] = await intentsAtStripe(row!.id);
    assert.equal(response.body.data.client_secret.startsWith(`${intent!.id}_secret_`), true);
    assert.deepEqual([row?.status, intent?.status], ['requires_action', 'requires_action']);
  });

  it('a 500 from Stripe, retried by the SDK with the same key, then answered: one charge', async () => {
    const { customerId, card } = await customerWithCard();
    t.stripe.answerNext(500, { method: 'POST', path: '/v1/payment_intents' });
    const orderId = newOrder('flaky');
    const response = await pay(t.api, customerId, card, { orderId });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const [row] = await rowFor(orderId);
    assert.equal(row?.status, 'succeeded');
    assert.deepEqual(createCalls(row!.id).map((r) => r.status), [500, 200]);
    assert.equal((await intentsAtStripe(row!.id)).length, 1);
  });

  it('Stripe failing with 500 every time: 503 processor_unavailable, the row stays unknown, nothing charged', async () => {
    const { customerId, card } = await customerWithCard();
    t.stripe.answerNext(500, { method: 'POST', path: '/v1/payment_intents', times: 3 });
    const orderId = newOrder('down');
    const response = await pay(t.api, customerId, card, { orderId });
    assert.equal(response.status, 503);
    assert.deepEqual([response.body.success, response.body.code], [false, 'processor_unavailable']);
    const [row] = await rowFor(orderId);
    assert.deepEqual([row?.status, row?.processor_payment_intent_id], ['unknown', null]);
    // The first try and the SDK's two retries, all with the row's key.
    assert.deepEqual(createCalls(row!.id).map((r) => r.status), [500, 500, 500]);
    assert.equal((await intentsAtStripe(row!.id)).length, 0);
  });

  it('the connection dropped after Stripe charged: the SDK retries with the same key, Stripe replays, one charge', async () => {
    const { customerId, card } = await customerWithCard();
    t.stripe.dropAfterProcessing({ method: 'POST', path: '/v1/payment_intents' });
    const orderId = newOrder('dropped');
    const response = await pay(t.api, customerId, card, { orderId });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const [row] = await rowFor(orderId);
    const intents = await intentsAtStripe(row!.id);
    assert.equal(intents.length, 1, 'exactly one PaymentIntent at Stripe');
    assert.deepEqual([row?.status, row?.processor_payment_intent_id, row?.amount_received], ['succeeded', intents[0]!.id, 2500]);
    const calls = createCalls(row!.id);
    assert.deepEqual(calls.map((r) => [r.status, r.replayed]), [['dropped', false], [200, true]]);
  });

  it('every answer lost: 503, the row stays unknown, a retry of the order charges nothing more, the reconciler finds the charge', async () => {
    const { customerId, card } = await customerWithCard();
    t.stripe.dropAfterProcessing({ method: 'POST', path: '/v1/payment_intents', times: 3 });
    const orderId = newOrder('lost');
    const response = await pay(t.api, customerId, card, { orderId });
    assert.equal(response.status, 503);
    assert.equal(response.body.code, 'processor_unavailable');
    const [row] = await rowFor(orderId);
    assert.equal(row?.status, 'unknown');
    assert.deepEqual(createCalls(row!.id).map((r) => r.status), ['dropped', 'dropped', 'dropped']);
    assert.equal((await intentsAtStripe(row!.id)).length, 1, 'Stripe charged once, whatever the retries');

    // The web app retries the payment: the order is held by the unknown payment, so no second charge.
    const retried = await pay(t.api, customerId, card, { orderId });
    assert.deepEqual([retried.status, retried.body.code], [409, 'order_already_paid']);
    assert.equal((await t.stripe.objects<StripeIntent>('payment_intent')).filter((pi) => pi.metadata['order_id'] === orderId).length, 1);

    // The reconciler sends the same creation with the same key: Stripe answers the first intent.
    await t.app.services.reconciler.runOnce();
    const [intent] = await intentsAtStripe(row!.id);
    const [resolved] = await rowFor(orderId);
    assert.deepEqual([resolved?.status, resolved?.processor_payment_intent_id], ['succeeded', intent?.id]);
    assert.deepEqual(createCalls(row!.id).map((r) => [r.status, r.replayed]).at(-1), [200, true]);
    assert.equal((await intentsAtStripe(row!.id)).length, 1);
  });

  it('a re-send refused for its credentials (a key rolled meanwhile) settles nothing: unknown until the key works, then the one charge', async () => {
    const { customerId, card } = await customerWithCard();
    t.stripe.dropAfterProcessing({ method: 'POST', path: '/v1/payment_intents', times: 3 });
    const orderId = newOrder('rolled-key');
    assert.equal((await pay(t.api, customerId, card, { orderId })).status, 503);
    const [row] = await rowFor(orderId);
    assert.equal((await intentsAtStripe(row!.id)).length, 1, 'Stripe charged before the answer was lost');

    // The reconciler re-sends while Stripe refuses the key: the first attempt's charge must not be
    // taken for "nothing happened" (the row canceled, the order freed to be charged again).
    t.stripe.answerNext(401, { method: 'POST', path: '/v1/payment_intents' });
    const report = await t.app.services.reconciler.runOnce();
    assert.ok(report.failures >= 1, 'the pass says it could not settle the row');
    const [held] = await rowFor(orderId);
    assert.deepEqual([held?.status, held?.processor_payment_intent_id], ['unknown', null]);
    assert.deepEqual([(await pay(t.api, customerId, card, { orderId })).status], [409], 'the order stays held');

    // The key works again: the same creation, the same key, Stripe's first intent (once the failed
    // pass's lease on the row has run out, which the test does not wait for).
    await t.db.query('UPDATE payments SET reconcile_after = NULL WHERE id = $1', [row!.id]);
    await t.app.services.reconciler.runOnce();
    const [settled] = await rowFor(orderId);
    const [intent] = await intentsAtStripe(row!.id);
    assert.deepEqual([settled?.status, settled?.processor_payment_intent_id], ['succeeded', intent?.id]);
    assert.equal((await intentsAtStripe(row!.id)).length, 1);
  });

  it('a payment refused for its key: 500 naming the row to follow, replayed so for its Idempotency-Key, the order held, settled once the key works', async () => {
    const { customerId, card } = await customerWithCard();
    const orderId = newOrder('revoked-key');
    t.stripe.answerNext(401, { method: 'POST', path: '/v1/payment_intents' });
    const headers = { 'idempotency-key': `revoked-${orderId}` };
    const refused = await pay(t.api.withHeaders(headers), customerId, card, { orderId });
    assert.deepEqual([refused.status, refused.body.code], [500, 'processor_misconfigured']);
    const [row] = await rowFor(orderId);
    assert.equal(row?.status, 'unknown');
    assert.equal(refused.body.payment_intent_id, row!.id, 'the answer names the row');
    const replayed = await pay(t.api.withHeaders(headers), customerId, card, { orderId });
    assert.deepEqual([replayed.status, replayed.body.payment_intent_id, replayed.headers['idempotent-replayed']], [500, row!.id, 'true']);
    assert.equal((await pay(t.api, customerId, card, { orderId })).status, 409, 'the order stays held while the outcome is unknown');
    assert.equal((await t.api.get(`/payment/payment-intent/${row!.id}`)).body.data.status, 'succeeded', 'the poll it names settles it, the key working again');
    assert.equal((await intentsAtStripe(row!.id)).length, 1);
  });

  it('a refund re-sent with a refused key stays unknown and reserved, then settles once the key works', async () => {
    const { customerId, card } = await customerWithCard();
    const paid = await pay(t.api, customerId, card, { amount: 3000 });
    const paymentIntentId: string = paid.body.data.payment_intent_id;
    t.stripe.dropAfterProcessing({ method: 'POST', path: '/v1/refunds', times: 3 });
    assert.equal((await t.api.post('/payment/refund', { paymentIntentId, amount: 1000 })).status, 503);
    t.stripe.answerNext(403, { method: 'POST', path: '/v1/refunds' });
    await t.app.services.reconciler.runOnce();
    const refunds = async () => (await t.db.query<{ status: string; amount: number }>(
      'SELECT r.status, r.amount FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.processor_payment_intent_id = $1', [paymentIntentId])).rows;
    assert.deepEqual(await refunds(), [{ status: 'unknown', amount: 1000 }], 'not failed: the first attempt refunded');
    await t.db.query('UPDATE refunds SET reconcile_after = NULL');
    await t.app.services.reconciler.runOnce();
    assert.deepEqual(await refunds(), [{ status: 'succeeded', amount: 1000 }]);
    const atStripe = (await t.stripe.objects<{ payment_intent: string }>('refund')).filter((r) => r.payment_intent === paymentIntentId);
    assert.equal(atStripe.length, 1);
  });

  it('429 from Stripe: not retried by the SDK, 503 processor_unavailable, the row stays unknown', async () => {
    const { customerId, card } = await customerWithCard();
    t.stripe.answerNext(429, { method: 'POST', path: '/v1/payment_intents' });
    const orderId = newOrder('limited');
    const response = await pay(t.api, customerId, card, { orderId });
    assert.deepEqual([response.status, response.body.code], [503, 'processor_unavailable']);
    const [row] = await rowFor(orderId);
    assert.equal(row?.status, 'unknown');
    assert.deepEqual(createCalls(row!.id).map((r) => r.status), [429]);
    assert.equal((await intentsAtStripe(row!.id)).length, 0);
  });

  it('429 that Stripe marks retryable (Stripe-Should-Retry: true): retried with the same key, one charge', async () => {
    const { customerId, card } = await customerWithCard();
    t.stripe.answerNext(429, { method: 'POST', path: '/v1/payment_intents' }, { 'stripe-should-retry': 'true' });
    const orderId = newOrder('lock');
    const response = await pay(t.api, customerId, card, { orderId });
    assert.equal(response.status, 200);
    const [row] = await rowFor(orderId);
    assert.deepEqual(createCalls(row!.id).map((r) => r.status), [429, 200]);
    assert.equal((await intentsAtStripe(row!.id)).length, 1);
  });

  it('a refund whose answer was lost is replayed by key: one refund at Stripe', async () => {
    const { customerId, card } = await customerWithCard();
    const paid = await pay(t.api, customerId, card, { orderId: newOrder('refund') });
    const paymentIntentId: string = paid.body.data.payment_intent_id;
    t.stripe.dropAfterProcessing({ method: 'POST', path: '/v1/refunds' });
    const response = await t.api.post('/payment/refund', { paymentIntentId, amount: 700 });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const refunds = (await t.stripe.objects<{ id: string; payment_intent: string; amount: number }>('refund')).filter((r) => r.payment_intent === paymentIntentId);
    assert.deepEqual(refunds.map((r) => [r.id, r.amount]), [[response.body.data.refund_id, 700]]);
    const calls = t.stripe.requestsFor('refunds.create').filter((r) => r.params['payment_intent'] === paymentIntentId);
    assert.deepEqual(calls.map((r) => r.status), ['dropped', 200]);
    assert.equal(new Set(calls.map((r) => r.idempotencyKey)).size, 1);
  });

  it('a refund Stripe cannot take (500 each time): 503, the refund row stays unknown and its amount stays reserved', async () => {
    const { customerId, card } = await customerWithCard();
    const paid = await pay(t.api, customerId, card, { orderId: newOrder('refund_down') });
    const paymentIntentId: string = paid.body.data.payment_intent_id;
    t.stripe.answerNext(500, { method: 'POST', path: '/v1/refunds', times: 3 });
    const response = await t.api.post('/payment/refund', { paymentIntentId, amount: 2500 });
    assert.deepEqual([response.status, response.body.code], [503, 'processor_unavailable']);
    const { rows } = await t.db.query<{ status: string }>(
      'SELECT r.status FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.processor_payment_intent_id = $1',
      [paymentIntentId],
    );
    assert.deepEqual(rows, [{ status: 'unknown' }]);
    const again = await t.api.post('/payment/refund', { paymentIntentId, amount: 1 });
    assert.deepEqual([again.status, again.body.code], [400, 'refund_exceeds_amount']);

    // Stripe is back: the reconciler sends the refund again with its key, once.
    t.stripe.clearFaults();
    await t.app.services.reconciler.runOnce();
    const after = await t.db.query<{ status: string; processor_refund_id: string }>(
      'SELECT r.status, r.processor_refund_id FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.processor_payment_intent_id = $1',
      [paymentIntentId],
    );
    const atStripe = (await t.stripe.objects<{ id: string; payment_intent: string }>('refund')).filter((r) => r.payment_intent === paymentIntentId);
    assert.deepEqual(after.rows, [{ status: 'succeeded', processor_refund_id: atStripe[0]?.id }]);
    assert.equal(atStripe.length, 1);
  });

  it('a capture Stripe refuses does not block the next: each attempt goes with a key of its own', async () => {
    const { customerId, card } = await customerWithCard();
    const authorized = await pay(t.api, customerId, card, { captureMethod: 'manual', amount: 3000, orderId: newOrder('capture') });
    const id: string = authorized.body.data.payment_intent_id;
    const [row] = await t.db.query<{ id: string }>('SELECT id FROM payments WHERE processor_payment_intent_id = $1', [id]).then((r) => r.rows);
    t.stripe.answerNext(400, { method: 'POST', path: `/v1/payment_intents/${id}/capture` });
    const refused = await t.api.post(`/payment/payment-intent/${id}/capture`, { amount: 1000 });
    assert.deepEqual([refused.status, refused.body.code], [400, 'processor_invalid_request']);
    const captured = await t.api.post(`/payment/payment-intent/${id}/capture`, { amount: 1000 });
    assert.deepEqual([captured.status, captured.body.data.status, captured.body.data.amount_received], [200, 'succeeded', 1000]);
    const attempts = t.stripe.requestsFor('payment_intents.capture').filter((r) => r.path.includes(id));
    assert.deepEqual(
      attempts.map((r) => [r.status, r.idempotencyKey]),
      [
        [400, `pi-capture:${row!.id}:1`],
        [200, `pi-capture:${row!.id}:2`],
      ],
    );
  });
});
