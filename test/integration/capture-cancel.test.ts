import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, processorCharges, saveCard, startTestApp, type TestApp } from '../helpers/app.js';

describe('authorize now, capture later; cancel', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  async function authorize(amount = 5000, token?: string) {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, token);
    const response = await pay(t.api, customerId, card, { amount, captureMethod: 'manual', orderId: `order_${Math.random()}` });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.status, 'requires_capture');
    return response.body.data.payment_intent_id as string;
  }

  const events = async (paymentIntentId: string) =>
    (await t.db.query<{ from_status: string | null; to_status: string; source: string }>(
      `SELECT e.from_status, e.to_status, e.source FROM payment_events e JOIN payments p ON p.id = e.payment_id
       WHERE p.processor_payment_intent_id = $1 ORDER BY e.id`,
      [paymentIntentId],
    )).rows;

  it('captures the whole authorization', async () => {
    const id = await authorize();
    const response = await t.api.post(`/payment/payment-intent/${id}/capture`, {});
    assert.equal(response.status, 200);
    assert.equal(response.body.data.status, 'succeeded');
    assert.equal(response.body.data.amount_received, 5000);
    assert.equal(response.body.data.amount_capturable, 0);
    assert.equal((await t.processor.retrievePaymentIntent(id)).status, 'succeeded');
    assert.deepEqual(await events(id), [
      { from_status: null, to_status: 'unknown', source: 'request' },
      { from_status: 'unknown', to_status: 'requires_capture', source: 'request' },
      { from_status: 'requires_capture', to_status: 'succeeded', source: 'capture' },
    ]);
  });

  it('captures part of it, and then refunds at most what was captured', async () => {
    const id = await authorize(5000);
    const response = await t.api.post(`/payment/payment-intent/${id}/capture`, { amount: 3000 });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.amount_received, 3000);
    const over = await t.api.post('/payment/refund', { paymentIntentId: id, amount: 3001 });
    assert.equal(over.status, 400);
    assert.equal(over.body.amount_remaining, 3000);
    const full = await t.api.post('/payment/refund', { paymentIntentId: id });
    assert.equal(full.body.data.amount, 3000);
  });

  it('refuses to capture more than authorized, or twice, or a payment that is not authorized', async () => {
    const id = await authorize(5000);
    const tooMuch = await t.api.post(`/payment/payment-intent/${id}/capture`, { amount: 5001 });
    assert.equal(tooMuch.status, 400);
    assert.equal(tooMuch.body.code, 'invalid_amount');
    assert.match(tooMuch.body.message, /more than the 5000 \(50\.00 USD\) authorized/);
    assert.equal((await t.processor.retrievePaymentIntent(id)).status, 'requires_capture');
    await t.api.post(`/payment/payment-intent/${id}/capture`, {});
    const twice = await t.api.post(`/payment/payment-intent/${id}/capture`, {});
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, 'invalid_state');
    assert.equal(twice.body.status, 'succeeded');
    assert.match(twice.body.message, /succeeded/);
    const unknown = await t.api.post('/payment/payment-intent/pi_nothing/capture', {});
    assert.equal(unknown.status, 404);
  });

  it('cancels an authorization, releasing it', async () => {
    const id = await authorize();
    const response = await t.api.post(`/payment/payment-intent/${id}/cancel`);
    assert.equal(response.status, 200);
    assert.equal(response.body.data.status, 'canceled');
    assert.equal((await t.processor.retrievePaymentIntent(id)).status, 'canceled');
    const capture = await t.api.post(`/payment/payment-intent/${id}/capture`, {});
    assert.equal(capture.status, 409);
    assert.equal(capture.body.status, 'canceled');
  });

  it('cancels a payment awaiting 3-D Secure, and refuses to cancel a succeeded one', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, 'pm_card_authenticationRequired');
    const pending = await pay(t.api, customerId, card);
    const canceled = await t.api.post(`/payment/payment-intent/${pending.body.data.payment_intent_id}/cancel`);
    assert.equal(canceled.body.data.status, 'canceled');
    const good = await saveCard(t.api, customerId);
    const paid = await pay(t.api, customerId, good);
    const refused = await t.api.post(`/payment/payment-intent/${paid.body.data.payment_intent_id}/cancel`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'invalid_state');
    assert.match(refused.body.message, /Cannot cancel a payment that is succeeded/);
  });

  it('an order whose authorization was canceled can be paid again', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const orderId = `order_recharge_${Date.now()}`;
    const first = await pay(t.api, customerId, card, { orderId, captureMethod: 'manual' });
    const held = await pay(t.api, customerId, card, { orderId });
    assert.equal(held.status, 409);
    await t.api.post(`/payment/payment-intent/${first.body.data.payment_intent_id}/cancel`);
    const again = await pay(t.api, customerId, card, { orderId });
    assert.equal(again.status, 200);
    assert.equal((await processorCharges(t.db, orderId)).length, 1);
  });

  it('stores the capture deadline and cancels an authorization once it has passed', async () => {
    const id = await authorize();
    const { rows } = await t.db.query<{ capture_before: Date }>('SELECT capture_before FROM payments WHERE processor_payment_intent_id = $1', [id]);
    const deadline = rows[0]!.capture_before.getTime();
    assert.ok(Math.abs(deadline - (Date.now() + 7 * 24 * 3600 * 1000)) < 60_000, 'seven days from now');
    await t.db.query("UPDATE payments SET capture_before = now() - interval '1 minute' WHERE processor_payment_intent_id = $1", [id]);
    await t.app.services.reconciler.runOnce();
    const after = await t.api.get(`/payment/payment-intent/${id}`);
    assert.equal(after.body.data.status, 'canceled');
    assert.equal((await t.processor.retrievePaymentIntent(id)).status, 'canceled');
    assert.deepEqual((await events(id)).at(-1), { from_status: 'requires_capture', to_status: 'canceled', source: 'expiry' });
  });
});
