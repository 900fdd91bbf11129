import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, outage, pay, processorCharges, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { platformUserToken } from '../helpers/tokens.js';

/**
 * An operator settles a payment or refund the reconciler left for a person, from the console's
 * admin routes: the processor is asked now, its answer recorded, the action audited.
 */
describe('settling an unresolved payment or refund by hand', () => {
  let t: TestApp;
  const failBefore = new Set<string>();
  const failAfter = new Set<string>();

  before(async () => {
    t = await startTestApp({
      env: { RECONCILE_GRACE_MS: '0' },
      faults: {
        before: (operation) => { if (failBefore.has(operation)) throw outage(operation); },
        after: (operation) => { if (failAfter.has(operation)) throw outage(operation); },
      },
    });
  });
  after(() => t.close());

  const paymentRow = async (id: string) =>
    (await t.db.query<{ status: string; processor_payment_intent_id: string | null }>(
      'SELECT status, processor_payment_intent_id FROM payments WHERE id::text = $1', [id],
    )).rows[0]!;
  const attentionIds = async () =>
    ((await t.api.get('/payment/admin/attention?stale=0s')).body.data.items as Array<{ id: string }>).map((item) => item.id);
  const audited = async (action: string) =>
    (await t.db.query<{ actor_admin: boolean; status: number; target: Record<string, string> }>(
      'SELECT actor_admin, status, target FROM audit_log WHERE action = $1 ORDER BY id', [action],
    )).rows;

  it('a payment left unknown is settled as the processor has it, once; then there is nothing to settle', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const orderId = `order_${randomUUID()}`;
    failBefore.add('payment_intents.create');
    const lost = await pay(t.api, customerId, card, { amount: 1234, orderId });
    assert.equal(lost.status, 503);
    const paymentId: string = lost.body.payment_intent_id;
    // The reconciler tries while the processor is still down: the payment is left for a person.
    await t.app.services.reconciler.runOnce();
    assert.equal((await paymentRow(paymentId)).status, 'unknown');
    assert.ok((await attentionIds()).includes(paymentId));

    const down = await t.api.post(`/payment/admin/payments/${paymentId}/reconcile`);
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.deepEqual([down.body.success, down.body.code], [false, 'processor_unavailable']);
    assert.equal((await paymentRow(paymentId)).status, 'unknown');
    failBefore.clear();

    const settled = await t.api.post(`/payment/admin/payments/${paymentId}/reconcile`);
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    const row = await paymentRow(paymentId);
    const atProcessor = await t.processor.retrievePaymentIntent(row.processor_payment_intent_id!);
    assert.equal(atProcessor.status, 'succeeded');
    assert.equal(row.status, atProcessor.status);
    assert.deepEqual(
      [settled.body.data.id, settled.body.data.payment_intent_id, settled.body.data.status, settled.body.data.amount_received],
      [paymentId, atProcessor.id, 'succeeded', 1234],
    );
    assert.deepEqual((await processorCharges(t.db, orderId)).map((c) => c.id), [atProcessor.id], 'charged once');
    assert.ok(!(await attentionIds()).includes(paymentId));
    const entries = await audited('payment.reconcile');
    assert.deepEqual(entries.map((e) => [e.actor_admin, e.status, e.target.payment_id, e.target.payment_intent_id]), [
      [true, 503, paymentId, paymentId],
      [true, 200, paymentId, atProcessor.id],
    ]);

    const again = await t.api.post(`/payment/admin/payments/${atProcessor.id}/reconcile`);
    assert.equal(again.status, 409);
    assert.deepEqual([again.body.success, again.body.code], [false, 'invalid_state']);
    assert.equal((await audited('payment.reconcile')).length, 2, 'a refusal is not audited');
  });

  it('a refund whose answer was lost is settled as the processor has it; then there is nothing to settle', async () => {
    const customerId = await createCustomer(t.api);
    const paymentIntentId: string = (await pay(t.api, customerId, await saveCard(t.api, customerId), { amount: 3000 })).body.data.payment_intent_id;
    failAfter.add('refunds.create');
    const lost = await t.api.post('/payment/refund', { paymentIntentId, amount: 2000 }, { 'idempotency-key': randomUUID() });
    assert.equal(lost.status, 503);
    failAfter.clear();
    const { rows } = await t.db.query<{ id: string; status: string }>(
      'SELECT r.id::text AS id, r.status FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.processor_payment_intent_id = $1', [paymentIntentId],
    );
    assert.deepEqual(rows.map((r) => r.status), ['unknown']);
    const refundId = rows[0]!.id;

    const settled = await t.api.post(`/payment/admin/refunds/${refundId}/reconcile`);
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    const atProcessor = await t.processor.retrieveRefund(settled.body.data.refund_id);
    assert.deepEqual([atProcessor.status, atProcessor.amount, atProcessor.paymentIntentId], ['succeeded', 2000, paymentIntentId]);
    assert.deepEqual(
      [settled.body.data.id, settled.body.data.status, settled.body.data.amount, settled.body.data.payment_intent],
      [refundId, atProcessor.status, 2000, paymentIntentId],
    );
    const recorded = await t.db.query<{ status: string; processor_refund_id: string }>('SELECT status, processor_refund_id FROM refunds WHERE id = $1', [refundId]);
    assert.deepEqual(recorded.rows[0], { status: 'succeeded', processor_refund_id: atProcessor.id });
    const atProcessorCount = await t.db.query("SELECT 1 FROM simulated_processor_objects WHERE type = 'refund' AND data->>'payment_intent' = $1", [paymentIntentId]);
    assert.equal(atProcessorCount.rowCount, 1, 'refunded once');
    assert.deepEqual((await audited('refund.reconcile')).map((e) => [e.status, e.target.refund_row_id, e.target.refund_id]), [[200, refundId, atProcessor.id]]);

    const again = await t.api.post(`/payment/admin/refunds/${atProcessor.id}/reconcile`);
    assert.deepEqual([again.status, again.body.code], [409, 'invalid_state']);
  });

  it('an unknown payment or refund is 404, a malformed id 400', async () => {
    const cases: Array<[string, number, string]> = [
      ['/payment/admin/payments/pi_doesnotexist/reconcile', 404, 'payment_intent_not_found'],
      [`/payment/admin/payments/${randomUUID()}/reconcile`, 404, 'payment_intent_not_found'],
      [`/payment/admin/refunds/${randomUUID()}/reconcile`, 404, 'refund_not_found'],
      ['/payment/admin/refunds/re_doesnotexist/reconcile', 404, 'refund_not_found'],
      ['/payment/admin/refunds/not-an-id/reconcile', 400, 'validation_failed'],
    ];
    for (const [url, status, code] of cases) {
      const response = await t.api.post(url);
      assert.deepEqual([response.status, response.body.success, response.body.code], [status, false, code], url);
    }
  });

  it('refuses anyone but an administrator, and changes nothing', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    failBefore.add('payment_intents.create');
    const paymentId: string = (await pay(t.api, customerId, card)).body.payment_intent_id;
    failBefore.clear();
    const email = (await t.db.query<{ email: string }>('SELECT email FROM customers WHERE processor_customer_id = $1', [customerId])).rows[0]!.email;
    const owner = t.anonymous.withToken(await platformUserToken(email));
    assert.equal((await owner.post(`/payment/admin/payments/${paymentId}/reconcile`)).status, 403);
    assert.equal((await t.anonymous.post(`/payment/admin/payments/${paymentId}/reconcile`)).status, 401);
    assert.equal((await paymentRow(paymentId)).status, 'unknown');
  });
});
