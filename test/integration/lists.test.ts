import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard, startTestApp, type TestApp } from '../helpers/app.js';

describe('payment and refund lists', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('lists a customer\'s payments newest first, a page at a time', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await pay(t.api, customerId, card, { amount: 1000 + i })).body.data.payment_intent_id);
    const newestFirst = [...ids].reverse();

    const page1 = await t.api.get(`/payment/payments?customerId=${customerId}&limit=2`);
    assert.equal(page1.status, 200);
    assert.deepEqual(page1.body.data.map((p: { payment_intent_id: string }) => p.payment_intent_id), newestFirst.slice(0, 2));
    assert.equal(page1.body.has_more, true);
    const page2 = await t.api.get(`/payment/payments?customerId=${customerId}&limit=2&cursor=${page1.body.next_cursor}`);
    assert.deepEqual(page2.body.data.map((p: { payment_intent_id: string }) => p.payment_intent_id), newestFirst.slice(2, 4));
    const page3 = await t.api.get(`/payment/payments?customerId=${customerId}&limit=2&cursor=${page2.body.next_cursor}`);
    assert.deepEqual(page3.body.data.map((p: { payment_intent_id: string }) => p.payment_intent_id), newestFirst.slice(4));
    assert.equal(page3.body.has_more, false);
    assert.equal(page3.body.next_cursor, null);
    assert.equal(page1.body.data[0].amount, 1004);
    assert.equal(page1.body.data[0].customer_id, customerId);
  });

  it('lists an order\'s attempts, the declined one included', async () => {
    const customerId = await createCustomer(t.api);
    const orderId = `order_${randomUUID()}`;
    const declined = await pay(t.api, customerId, 'pm_card_chargeDeclined', { orderId });
    const card = await saveCard(t.api, customerId);
    const paid = await pay(t.api, customerId, card, { orderId });
    const response = await t.api.get(`/payment/payments?orderId=${orderId}`);
    assert.deepEqual(
      response.body.data.map((p: { payment_intent_id: string; status: string }) => [p.payment_intent_id, p.status]),
      [
        [paid.body.data.payment_intent_id, 'succeeded'],
        [declined.body.payment_intent_id, 'canceled'],
      ],
    );
  });

  it('refuses a cursor it did not give, a bad limit, an unknown customer', async () => {
    const badCursor = await t.api.get('/payment/payments?cursor=bm9wZQ');
    assert.equal(badCursor.status, 400);
    assert.match(badCursor.body.message, /cursor must be a next_cursor this service answered/);
    const badLimit = await t.api.get('/payment/payments?limit=1000');
    assert.equal(badLimit.status, 400);
    assert.match(badLimit.body.message, /limit \(in the querystring\) must be <= 100/);
    const unknown = await t.api.get('/payment/payments?customerId=cus_nobody');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'customer_not_found');
  });

  it('lists a payment\'s refunds newest first', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const paymentIntentId = (await pay(t.api, customerId, card, { amount: 5000 })).body.data.payment_intent_id;
    await t.api.post('/payment/refund', { paymentIntentId, amount: 1000, reason: 'duplicate' });
    await t.api.post('/payment/refund', { paymentIntentId, amount: 2000 });
    const response = await t.api.get(`/payment/refunds?paymentIntentId=${paymentIntentId}`);
    assert.equal(response.status, 200);
    assert.deepEqual(
      response.body.data.map((r: { amount: number; reason: string | null; status: string; payment_intent: string }) => [r.amount, r.reason, r.status, r.payment_intent]),
      [
        [2000, null, 'succeeded', paymentIntentId],
        [1000, 'duplicate', 'succeeded', paymentIntentId],
      ],
    );
    const missing = await t.api.get('/payment/refunds');
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /paymentIntentId \(in the querystring\) is required/);
    const unknown = await t.api.get('/payment/refunds?paymentIntentId=pi_nothing');
    assert.equal(unknown.status, 404);
  });
});
