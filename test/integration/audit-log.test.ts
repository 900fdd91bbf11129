/**
 * Every change of money or cards leaves one append-only audit row: who (principal kind and
 * subject or client), what (action, ids, amount), when, and from which request. Refused requests
 * and replayed answers leave none.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { serviceToken } from '../helpers/tokens.js';

describe('the audit log', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ jwks: true });
  });
  after(() => t.close());

  const entriesFor = async (requestId: string) => (await t.api.get('/payment/admin/audit?limit=100')).body.data.filter((e: any) => e.request_id === requestId);

  it('records a payment by the Order Service\'s token and its refund by an admin, with the request id, ids and amounts', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const orderId = `order_${randomBytes(6).toString('hex')}`;
    const orderClient = t.anonymous.withToken(await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.read order.write'));
    const paid = await orderClient.post('/payment/payment-intent', { amount: 4200, currency: 'usd', customerId, paymentMethodId: card, orderId }, { 'x-request-id': `audit-pay-${orderId}` });
    assert.equal(paid.status, 200);
    const [payment] = await entriesFor(`audit-pay-${orderId}`);
    assert.deepEqual(
      { kind: payment.actor_kind, actor: payment.actor, admin: payment.actor_admin, action: payment.action, status: payment.status, amount: payment.amount, currency: payment.currency },
      { kind: 'service', actor: 'microservice_order_client', admin: false, action: 'payment.create', status: 200, amount: 4200, currency: 'usd' },
    );
    assert.equal(payment.target.payment_intent_id, paid.body.data.payment_intent_id);
    assert.equal(payment.target.order_id, orderId);
    assert.equal(payment.target.customer_id, customerId);

    const refunded = await t.api.post('/payment/refund', { paymentIntentId: paid.body.data.payment_intent_id, amount: 1000 }, { 'x-request-id': `audit-refund-${orderId}` });
    const [refund] = await entriesFor(`audit-refund-${orderId}`);
    assert.deepEqual([refund.action, refund.actor_kind, refund.actor_admin, refund.amount], ['refund.create', 'user', true, 1000]);
    assert.equal(refund.target.refund_id, refunded.body.data.refund_id);
  });

  it('records cards saved and deleted, and nothing for a refused request or a replayed answer', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const deleted = await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: card }, { 'x-request-id': `audit-del-${card}` });
    assert.equal(deleted.status, 200);
    const [entry] = await entriesFor(`audit-del-${card}`);
    assert.deepEqual([entry.action, entry.target.payment_method_id, entry.target.customer_id], ['card.delete', card, customerId]);

    const count = async () => Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM audit_log')).rows[0]!.n);
    const before = await count();
    assert.equal((await t.api.post('/payment/refund', { paymentIntentId: 'pi_nothing', amount: 10 })).status, 404);
    assert.equal((await t.anonymous.post('/payment/customer', { email: 'x@example.com', name: 'X' })).status, 401);
    const key = { 'idempotency-key': `audit-${randomBytes(4).toString('hex')}` };
    const ann = { email: `audit-${randomBytes(4).toString('hex')}@example.com`, name: 'Ann' };
    const first = await t.api.post('/payment/customer', ann, key);
    assert.equal(first.status, 201);
    const replay = await t.api.post('/payment/customer', ann, key);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(await count(), before + 1, 'only the first creation is recorded');
  });

  it('is append-only, and pages newest first with a cursor and an action filter', async () => {
    await assert.rejects(t.db.query('UPDATE audit_log SET actor = $1', ['someone else']), /append-only/);
    await assert.rejects(t.db.query('DELETE FROM audit_log'), /append-only/);
    const page = await t.api.get('/payment/admin/audit?limit=1&action=card.save');
    assert.equal(page.status, 200);
    assert.equal(page.body.data.length, 1);
    assert.equal(page.body.data[0].action, 'card.save');
    assert.equal(page.body.has_more, true);
    const next = await t.api.get(`/payment/admin/audit?limit=1&action=card.save&cursor=${page.body.next_cursor}`);
    assert.ok(Number(next.body.data[0].id) < Number(page.body.data[0].id));
  });
});
