/**
 * The Order Service refunds a cancelled order with POST /payment/refund {orderId} and its own
 * token (scope order.write): the whole of what is left, once, under the same rules as every refund.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard, startTestApp, type Api, type TestApp } from '../helpers/app.js';
import { serviceToken } from '../helpers/tokens.js';

describe('refunding an order by its orderId', () => {
  let t: TestApp;
  let orderService: Api;

  before(async () => {
    t = await startTestApp({ jwks: true });
    orderService = t.anonymous.withToken(await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.read order.write'));
  });
  after(() => t.close());

  async function paidOrder(extra: Record<string, unknown> = {}) {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const orderId = `order_${randomBytes(6).toString('hex')}`;
    const paid = await pay(t.api, customerId, card, { orderId, amount: 4000, ...extra });
    return { orderId, paymentIntentId: paid.body.data.payment_intent_id as string };
  }

  async function processorRefunds(paymentIntentId: string) {
    const { rows } = await t.db.query<{ amount: number }>(
      `SELECT (data->>'amount')::int AS amount FROM simulated_processor_objects WHERE type = 'refund' AND lookup_key = $1`,
      [paymentIntentId],
    );
    return rows.map((r) => r.amount);
  }

  it('refunds the whole order with the Order Service\'s own body, and a second call refunds nothing more', async () => {
    const { orderId, paymentIntentId } = await paidOrder();
    const first = await orderService.post('/payment/refund', { orderId });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.data.amount, 4000);
    assert.equal(first.body.data.payment_intent, paymentIntentId);
    assert.equal(first.body.data.status, 'succeeded');

    const second = await orderService.post('/payment/refund', { orderId });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.data.refund_id, first.body.data.refund_id, 'the same refund answered again');
    assert.deepEqual(await processorRefunds(paymentIntentId), [4000], 'one refund at the processor');
    const { rows } = await t.db.query('SELECT 1 FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = $1', [orderId]);
    assert.equal(rows.length, 1);
  });

  it('refunds what is left after a partial refund', async () => {
    const { orderId, paymentIntentId } = await paidOrder();
    const partial = await t.api.post('/payment/refund', { paymentIntentId, amount: 1500 }, { 'idempotency-key': `partial-${orderId}` });
    assert.equal(partial.status, 200);
    const rest = await orderService.post('/payment/refund', { orderId });
    assert.equal(rest.body.data.amount, 2500);
    assert.deepEqual((await processorRefunds(paymentIntentId)).sort(), [1500, 2500]);
  });

  it('answers an order without a payment 404 order_not_found, and changes nothing', async () => {
    const unknown = await orderService.post('/payment/refund', { orderId: `order_${randomBytes(6).toString('hex')}` });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'order_not_found');
  });

  it('refuses an authorized order (capture or cancel it instead) with 409, and both ids or neither with 400', async () => {
    const { orderId, paymentIntentId } = await paidOrder({ captureMethod: 'manual' });
    const authorized = await orderService.post('/payment/refund', { orderId });
    assert.deepEqual([authorized.status, authorized.body.code], [409, 'invalid_state']);
    const both = await orderService.post('/payment/refund', { orderId, paymentIntentId });
    assert.deepEqual([both.status, both.body.code, both.body.param], [400, 'validation_failed', 'paymentIntentId']);
    const neither = await orderService.post('/payment/refund', {});
    assert.deepEqual([neither.status, neither.body.code], [400, 'validation_failed']);
    assert.deepEqual(await processorRefunds(paymentIntentId), []);
  });
});
