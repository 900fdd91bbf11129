import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { tableDigest } from '../helpers/table-digest.js';

describe('refunds', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  async function paidIntent(amount = 2500, extra: Record<string, unknown> = {}) {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const response = await pay(t.api, customerId, card, { amount, ...extra });
    assert.equal(response.status, 200);
    return response.body.data.payment_intent_id as string;
  }

  const refundRows = async (paymentIntentId: string) =>
    (await t.db.query<{ amount: number; status: string; reason: string | null; processor_refund_id: string | null }>(
      `SELECT r.amount, r.status, r.reason, r.processor_refund_id FROM refunds r JOIN payments p ON p.id = r.payment_id
       WHERE p.processor_payment_intent_id = $1 ORDER BY r.created_at`,
      [paymentIntentId],
    )).rows;

  it('refunds part of a payment: the document\'s five fields, a succeeded row, a processor refund', async () => {
    const paymentIntentId = await paidIntent();
    const response = await t.api.post('/payment/refund', { paymentIntentId, amount: 1000, reason: 'customer_requested' });
    assert.equal(response.status, 200);
    assert.equal(response.body.success, true);
    assert.deepEqual(Object.keys(response.body.data).sort(), ['amount', 'currency', 'payment_intent', 'refund_id', 'status']);
    assert.match(response.body.data.refund_id, /^re_[A-Za-z0-9]{24}$/);
    assert.deepEqual({ ...response.body.data, refund_id: 're' }, {
      refund_id: 're',
      status: 'succeeded',
      amount: 1000,
      currency: 'usd',
      payment_intent: paymentIntentId,
    });
    assert.deepEqual(await refundRows(paymentIntentId), [
      { amount: 1000, status: 'succeeded', reason: 'requested_by_customer', processor_refund_id: response.body.data.refund_id },
    ]);
    const atProcessor = await t.processor.retrieveRefund(response.body.data.refund_id);
    assert.deepEqual({ amount: atProcessor.amount, status: atProcessor.status }, { amount: 1000, status: 'succeeded' });
    const payment = await t.api.get(`/payment/payment-intent/${paymentIntentId}`);
    assert.equal(payment.body.data.amount_refunded, 1000);
  });

  it('refunds everything left when no amount is given', async () => {
    const paymentIntentId = await paidIntent(3000);
    await t.api.post('/payment/refund', { paymentIntentId, amount: 1000 });
    const rest = await t.api.post('/payment/refund', { paymentIntentId });
    assert.equal(rest.status, 200);
    assert.equal(rest.body.data.amount, 2000);
    assert.deepEqual((await refundRows(paymentIntentId)).map((r) => r.amount), [1000, 2000]);
  });

  it('accepts Stripe\'s reasons too', async () => {
    const paymentIntentId = await paidIntent(5000);
    for (const reason of ['duplicate', 'fraudulent', 'requested_by_customer']) {
      const response = await t.api.post('/payment/refund', { paymentIntentId, amount: 100, reason });
      assert.equal(response.status, 200, reason);
    }
    assert.deepEqual((await refundRows(paymentIntentId)).map((r) => r.reason), ['duplicate', 'fraudulent', 'requested_by_customer']);
    const bad = await t.api.post('/payment/refund', { paymentIntentId, amount: 100, reason: 'changed_mind' });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /reason must be one of "customer_requested", "requested_by_customer", "duplicate", "fraudulent"/);
  });

  it('never refunds more than what is left: 400 with the amount remaining, nothing written', async () => {
    const paymentIntentId = await paidIntent(2500);
    await t.api.post('/payment/refund', { paymentIntentId, amount: 1500 });
    const over = await t.api.post('/payment/refund', { paymentIntentId, amount: 1001 });
    assert.equal(over.status, 400);
    assert.equal(over.body.code, 'refund_exceeds_amount');
    assert.equal(over.body.amount_remaining, 1000);
    assert.match(over.body.message, /more than the 1000 \(10\.00 USD\) left to refund/);
    const exact = await t.api.post('/payment/refund', { paymentIntentId, amount: 1000 });
    assert.equal(exact.status, 200);
    const done = await t.api.post('/payment/refund', { paymentIntentId, amount: 1 });
    assert.equal(done.status, 400);
    assert.match(done.body.message, /already been refunded in full/);
    assert.deepEqual((await refundRows(paymentIntentId)).map((r) => r.amount), [1500, 1000]);
  });

  it('concurrent partial refunds never exceed the amount', async () => {
    const paymentIntentId = await paidIntent(10_000);
    const responses = await Promise.all([
      ...Array.from({ length: 12 }, () => t.api.post('/payment/refund', { paymentIntentId, amount: 1000 })),
      t.api.post('/payment/refund', { paymentIntentId, amount: 10_000 }),
    ]);
    assert.ok(responses.every((r) => r.status === 200 || (r.status === 400 && r.body.code === 'refund_exceeds_amount')));
    const rows = await refundRows(paymentIntentId);
    const refunded = rows.filter((r) => r.status === 'succeeded').reduce((sum, r) => sum + r.amount, 0);
    assert.ok(refunded <= 10_000, `refunded ${refunded}`);
    assert.equal(rows.length, responses.filter((r) => r.status === 200).length);
  });

  it('refuses bad amounts, unknown payments and payments that are not succeeded', async () => {
    const paymentIntentId = await paidIntent();
    for (const [amount, message] of [
      [0, /positive/],
      [-100, /positive/],
      [10.5, /send 1050/],
    ] as const) {
      const response = await t.api.post('/payment/refund', { paymentIntentId, amount });
      assert.equal(response.status, 400);
      assert.equal(response.body.code, 'invalid_amount');
      assert.match(response.body.message, message);
    }
    const unknown = await t.api.post('/payment/refund', { paymentIntentId: 'pi_unknown', amount: 100 });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'payment_intent_not_found');

    const customerId = await createCustomer(t.api);
    const declined = await pay(t.api, customerId, 'pm_card_chargeDeclined');
    const refundDeclined = await t.api.post('/payment/refund', { paymentIntentId: declined.body.payment_intent_id, amount: 100 });
    assert.equal(refundDeclined.status, 409);
    assert.equal(refundDeclined.body.code, 'invalid_state');
    assert.equal(refundDeclined.body.status, 'canceled');

    const authorized = await paidIntent(2500, { captureMethod: 'manual' });
    const refundAuthorized = await t.api.post('/payment/refund', { paymentIntentId: authorized, amount: 100 });
    assert.equal(refundAuthorized.status, 409);
    assert.equal(refundAuthorized.body.status, 'requires_capture');
    assert.deepEqual(await refundRows(paymentIntentId), []);
  });

  it('a refund without an Idempotency-Key is 400 idempotency_key_required naming the header, nothing written; a retry with its key refunds once', async () => {
    const paymentIntentId = await paidIntent(3000);
    const unkeyed = t.api.withoutRefundKey();
    const before = await tableDigest(t.db);
    for (const body of [{ paymentIntentId, amount: 1000 }, { paymentIntentId }, { orderId: 'order_any', amount: 500 }, { paymentIntentId: 'pi_unknown' }]) {
      const refused = await unkeyed.post('/payment/refund', body);
      assert.deepEqual([refused.status, refused.body.success, refused.body.code, refused.body.param], [400, false, 'idempotency_key_required', 'Idempotency-Key'], JSON.stringify(body));
      assert.match(refused.body.message, /Idempotency-Key header/);
    }
    assert.deepEqual(await tableDigest(t.db), before, 'no table changed');
    assert.deepEqual(await refundRows(paymentIntentId), []);

    // A client that timed out and sends the same refund again with its key is answered the first refund.
    const key = { 'idempotency-key': `refund-retry-${paymentIntentId}` };
    const first = await unkeyed.post('/payment/refund', { paymentIntentId, amount: 1000 }, key);
    const retried = await unkeyed.post('/payment/refund', { paymentIntentId, amount: 1000 }, key);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(retried.body, first.body);
    assert.deepEqual((await refundRows(paymentIntentId)).map((r) => r.amount), [1000]);
  });

  it('the Order Service\'s {orderId} form needs no key: it refunds the whole order once, however often it is sent', async () => {
    const orderId = `order_refund_${Date.now()}`;
    const paymentIntentId = await paidIntent(2000, { orderId });
    const unkeyed = t.api.withoutRefundKey();
    const first = await unkeyed.post('/payment/refund', { orderId });
    const again = await unkeyed.post('/payment/refund', { orderId });
    assert.deepEqual([first.status, first.body.data?.amount, again.status], [200, 2000, 200], JSON.stringify([first.body, again.body]));
    assert.equal(again.body.data.refund_id, first.body.data.refund_id);
    assert.deepEqual((await refundRows(paymentIntentId)).map((r) => r.amount), [2000]);
  });

  it('a refund the processor fails after it succeeded (pm_card_refundFail) is found by the reconciler when it looks again', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, 'pm_card_refundFail');
    const paymentIntentId: string = (await pay(t.api, customerId, card)).body.data.payment_intent_id;
    const refund = await t.api.post('/payment/refund', { paymentIntentId, amount: 1000 });
    assert.deepEqual([refund.status, refund.body.data.status], [200, 'succeeded']);
    await t.app.services.reconciler.runOnce();
    assert.deepEqual((await refundRows(paymentIntentId)).map((r) => r.status), ['succeeded'], 'not asked again before RECONCILE_REFUND_RECHECK_MS');
    // Six hours on: the refund is due to be asked about again.
    await t.db.query("UPDATE refunds SET reconcile_after = now() - interval '1 second' WHERE processor_refund_id = $1", [refund.body.data.refund_id]);
    await t.app.services.reconciler.runOnce();
    assert.deepEqual((await refundRows(paymentIntentId)).map((r) => r.status), ['failed']);
    const details = await t.api.get(`/payment/payment-intent/${paymentIntentId}`);
    assert.equal(details.body.data.amount_refunded, 0);
  });
});
