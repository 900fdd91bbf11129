import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SimulatedStripe } from '../../src/processors/simulated/simulated-stripe.js';
import { SimulatedLedger } from '../../src/store/simulated-ledger.js';
import { pay, payAwaitingAuthentication, processorCharges, saveCard, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * Payments waiting for the customer (3-D Secure) move on at the processor, where the customer's
 * browser finishes or fails the challenge: the service follows, on a status poll, in the
 * reconciler, or when the order they hold is paid again.
 */
describe('payments waiting for the customer (3-D Secure)', () => {
  let t: TestApp;
  let browser: SimulatedStripe;
  before(async () => {
    t = await startTestApp({ env: { RECONCILE_GRACE_MS: '0' } });
    browser = new SimulatedStripe(new SimulatedLedger(t.db));
  });
  after(() => t.close());

  const awaitingCustomer = (extra: Record<string, unknown> = {}) => payAwaitingAuthentication(t.api, extra);
  const rowStatus = async (id: string) =>
    (await t.db.query<{ status: string }>('SELECT status FROM payments WHERE processor_payment_intent_id = $1', [id])).rows[0]?.status;

  it('a status poll sees the payment succeed once the customer passed 3-D Secure', async () => {
    const { id, orderId } = await awaitingCustomer();
    await browser.completeAuthentication(id, true);
    const polled = await t.api.get(`/payment/payment-intent/${id}`);
    assert.equal(polled.body.data.status, 'succeeded');
    assert.equal(polled.body.data.amount_received, 2500);
    assert.equal(await rowStatus(id), 'succeeded');
    assert.equal((await processorCharges(t.db, orderId)).length, 1);
    const refund = await t.api.post('/payment/refund', { paymentIntentId: id, amount: 500 });
    assert.equal(refund.status, 200);
  });

  it('the reconciler records a failed challenge, with its reason, cancels the intent, and the order can be paid with another card', async () => {
    const { id, customerId, orderId } = await awaitingCustomer();
    await browser.completeAuthentication(id, false);
    await t.app.services.reconciler.runOnce();
    // Given up on: canceled at the processor, so the client secret can never confirm it again.
    assert.equal(await rowStatus(id), 'canceled');
    assert.equal((await t.processor.retrievePaymentIntent(id)).status, 'canceled');
    const details = await t.api.get(`/payment/payment-intent/${id}`);
    assert.equal(details.body.data.last_payment_error.code, 'payment_intent_authentication_failure');
    const other = await saveCard(t.api, customerId);
    const again = await pay(t.api, customerId, other, { orderId });
    assert.equal(again.status, 200);
    assert.equal(again.body.data.status, 'succeeded');
  });

  it('paying an order held by a payment whose challenge failed looks at the holder first, then charges', async () => {
    const { id, customerId, orderId } = await awaitingCustomer();
    await browser.completeAuthentication(id, false);
    const other = await saveCard(t.api, customerId);
    const again = await pay(t.api, customerId, other, { orderId });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(await rowStatus(id), 'canceled');
    assert.equal((await t.processor.retrievePaymentIntent(id)).status, 'canceled');
  });

  it('an order held by a payment still waiting for the customer stays held', async () => {
    const { customerId, orderId } = await awaitingCustomer();
    const other = await saveCard(t.api, customerId);
    const again = await pay(t.api, customerId, other, { orderId });
    assert.equal(again.status, 409);
    assert.equal(again.body.status, 'requires_action');
  });

  it('a challenge passed on a manual-capture payment leaves it authorized, ready to capture', async () => {
    const { id } = await awaitingCustomer({ captureMethod: 'manual' });
    await browser.completeAuthentication(id, true);
    await t.app.services.reconciler.runOnce();
    assert.equal(await rowStatus(id), 'requires_capture');
    const captured = await t.api.post(`/payment/payment-intent/${id}/capture`, {});
    assert.equal(captured.body.data.status, 'succeeded');
  });

  it('a payment abandoned for a day is canceled, freeing its order', async () => {
    const { id } = await awaitingCustomer();
    await t.db.query("UPDATE payments SET created_at = now() - interval '25 hours' WHERE processor_payment_intent_id = $1", [id]);
    await t.app.services.reconciler.runOnce();
    assert.equal(await rowStatus(id), 'canceled');
    assert.equal((await t.processor.retrievePaymentIntent(id)).status, 'canceled');
  });
});
