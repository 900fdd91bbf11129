import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard, startTestApp, uniqueEmail, type TestApp } from '../helpers/app.js';

/** The reads behind the operations console: the summary, the filtered list, a payment's dossier, what needs a person. */
describe('admin reads for the operations console', () => {
  let t: TestApp;
  let usdPaid: string;
  let email: string;
  before(async () => {
    t = await startTestApp();
    email = uniqueEmail('console');
    const customerId = await createCustomer(t.api, email);
    const card = await saveCard(t.api, customerId);
    usdPaid = (await pay(t.api, customerId, card, { amount: 2500 })).body.data.payment_intent_id;
    assert.equal((await pay(t.api, customerId, card, { amount: 1000 })).status, 200);
    assert.equal((await pay(t.api, customerId, card, { amount: 500, currency: 'jpy' })).status, 200);
    assert.equal((await pay(t.api, customerId, 'pm_card_chargeDeclinedInsufficientFunds')).status, 402);
    assert.equal((await pay(t.api, customerId, 'pm_card_chargeDeclined')).status, 402);
    const refund = await t.api.post('/payment/refund', { paymentIntentId: usdPaid, amount: 700 }, { 'idempotency-key': randomUUID() });
    assert.equal(refund.status, 200, JSON.stringify(refund.body));
  });
  after(() => t.close());

  it('the summary counts today\'s and the week\'s payments, volume per currency, refunds and decline codes', async () => {
    const response = await t.api.get('/payment/admin/summary');
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const { today, last_7_days: week, per_day: perDay } = response.body.data;
    for (const totals of [today, week]) {
      assert.equal(totals.payments, 5);
      assert.equal(totals.succeeded, 3);
      assert.equal(totals.declined, 2);
      assert.equal(totals.success_rate, 0.6);
      assert.deepEqual(totals.volume, [{ currency: 'jpy', amount: 500 }, { currency: 'usd', amount: 3500 }]);
      assert.deepEqual(totals.refunds, [{ currency: 'usd', amount: 700, count: 1 }]);
      assert.deepEqual(totals.decline_codes, [{ code: 'generic_decline', count: 1 }, { code: 'insufficient_funds', count: 1 }]);
    }
    assert.equal(perDay.length, 7);
    assert.deepEqual(perDay[6], { day: new Date().toISOString().slice(0, 10), succeeded: 3, declined: 2 });
    assert.deepEqual(perDay.slice(0, 6).map((d: { succeeded: number }) => d.succeeded), [0, 0, 0, 0, 0, 0]);
  });

  it('the list filters by status, email and creation range, a page at a time', async () => {
    const declined = await t.api.get(`/payment/admin/payments?status=canceled&email=${encodeURIComponent(email)}`);
    assert.equal(declined.status, 200);
    assert.equal(declined.body.data.length, 2);
    assert.ok(declined.body.data.every((p: { customer_email: string }) => p.customer_email === email));
    const page1 = await t.api.get(`/payment/admin/payments?email=${encodeURIComponent(email)}&limit=3`);
    assert.equal(page1.body.has_more, true);
    const page2 = await t.api.get(`/payment/admin/payments?email=${encodeURIComponent(email)}&limit=3&cursor=${page1.body.next_cursor}`);
    assert.equal(page2.body.data.length, 2);
    assert.equal(page2.body.has_more, false);
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.equal((await t.api.get(`/payment/admin/payments?from=${future}`)).body.data.length, 0);
    assert.equal((await t.api.get(`/payment/admin/payments?to=${future}&email=${encodeURIComponent(email)}`)).body.data.length, 5);
    assert.deepEqual((await t.api.get(`/payment/admin/payments?email=${encodeURIComponent(uniqueEmail('nobody'))}`)).body.data, []);
    assert.equal((await t.api.get('/payment/admin/payments?status=bogus')).status, 400);
  });

  it('a payment\'s dossier has its customer, card, timeline, refunds; the processor\'s view agrees', async () => {
    const response = await t.api.get(`/payment/admin/payments/${usdPaid}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const dossier = response.body.data;
    assert.equal(dossier.payment.amount_received, 2500);
    assert.equal(dossier.payment.amount_refunded, 700);
    assert.equal(dossier.customer.email, email);
    assert.deepEqual([dossier.card.brand, dossier.card.last4], ['visa', '4242']);
    assert.ok(dossier.timeline.length >= 1);
    assert.equal(dossier.timeline.at(-1).to_status, 'succeeded');
    assert.deepEqual(dossier.refunds.map((r: { amount: number }) => r.amount), [700]);
    const byOurId = await t.api.get(`/payment/admin/payments/${dossier.payment.id}`);
    assert.equal(byOurId.body.data.payment.payment_intent_id, usdPaid);
    const view = await t.api.get(`/payment/admin/payments/${usdPaid}/processor`);
    assert.equal(view.status, 200);
    assert.equal(view.body.data.status, 'succeeded');
    assert.equal(view.body.data.amount_received, 2500);
    assert.equal((await t.api.get('/payment/admin/payments/pi_doesnotexist')).status, 404);
  });

  it('needs attention lists nothing while everything is settled', async () => {
    const response = await t.api.get('/payment/admin/attention?stale=0s');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, { items: [], dead_notifications: 0 });
  });
});
