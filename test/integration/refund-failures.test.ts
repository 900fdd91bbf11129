import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { STRIPE_WEBHOOK_PATH } from '../../src/processors/processor-events.js';
import { toProcessorRefund, type StripeLikeRefund } from '../../src/processors/stripe-shapes.js';
import { signStripePayload } from '../../src/processors/stripe/webhook-signature.js';
import { createCustomer, pay, saveCard } from '../helpers/app.js';
import { startStripeTestApp, type StripeTestApp } from '../stripe-server/stripe-test-app.js';

interface LogLine {
  level: number;
  msg: string;
  processorRefundId?: string;
}

/**
 * Refunds Stripe changes after it answered: `pm_card_refundFail` (succeeded, later failed) and
 * `pm_card_pendingRefund` (pending, later succeeded). The test server changes them when told to
 * (`settleRefunds`) and records the events Stripe would send: an event is posted, signed, to the
 * webhook endpoint as Stripe posts it, and a lost one is caught by the reconciler.
 */
const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
describe('refunds that change at Stripe after it answered', () => {
  let t: StripeTestApp;
  const lines: LogLine[] = [];
  before(async () => {
    t = await startStripeTestApp({
      env: { RECONCILE_GRACE_MS: '0', RECONCILE_REFUND_RECHECK_MS: '0', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET },
      logger: { level: 'warn', stream: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } },
    });
  });
  after(() => t.close());

  const refundRow = async (refundId: string) =>
    (await t.db.query<{ id: string; status: string; failure_reason: string | null; processor_refund_id: string | null }>(
      'SELECT id, status, failure_reason, processor_refund_id FROM refunds WHERE processor_refund_id = $1 OR id::text = $1',
      [refundId],
    )).rows[0]!;
  const amountRefunded = async (paymentIntentId: string) =>
    (await t.api.get(`/payment/payment-intent/${paymentIntentId}`)).body.data.amount_refunded as number;
  const eventFor = async (type: string, refundId: string) =>
    (await t.stripe.events()).find((e) => e.type === type && (e.data.object as StripeLikeRefund).id === refundId)!;
  /** Posts an event to the webhook endpoint, signed as Stripe signs it, and waits until it is processed. */
  const deliver = async (event: unknown) => {
    const payload = JSON.stringify(event);
    const response = await t.app.inject({
      method: 'POST',
      url: STRIPE_WEBHOOK_PATH,
      headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(payload, WEBHOOK_SECRET) },
      payload,
    });
    assert.equal(response.statusCode, 200, response.body);
    await t.app.services.webhooks.settled();
  };
  const failureLogs = (refundId: string) => lines.filter((l) => l.level === 50 && l.processorRefundId === refundId);

  /** A payment of 3000 on `card`, and a refund of 1000 of it. */
  async function refundOn(card: string) {
    const customerId = await createCustomer(t.api);
    const saved = await saveCard(t.api, customerId, card);
    const paymentIntentId: string = (await pay(t.api, customerId, saved, { amount: 3000 })).body.data.payment_intent_id;
    const refund = await t.api.post('/payment/refund', { paymentIntentId, amount: 1000 });
    assert.equal(refund.status, 200, JSON.stringify(refund.body));
    return { paymentIntentId, refundId: refund.body.data.refund_id as string, status: refund.body.data.status as string };
  }

  it('pm_card_refundFail, failure told by Stripe\'s event: recorded, the amount refundable again, the operator told once', async () => {
    const { paymentIntentId, refundId, status } = await refundOn('pm_card_refundFail');
    assert.deepEqual([status, await amountRefunded(paymentIntentId)], ['succeeded', 1000]);
    await t.stripe.settleRefunds();
    const event = await eventFor('refund.failed', refundId);

    await deliver(event);
    const recorded = await refundRow(refundId);
    assert.deepEqual([recorded.status, recorded.failure_reason], ['failed', 'expired_or_canceled_card']);
    assert.equal(await amountRefunded(paymentIntentId), 0);
    const listed = await t.api.get(`/payment/refunds?paymentIntentId=${paymentIntentId}`);
    assert.deepEqual(listed.body.data.map((r: { refund_id: string; status: string }) => [r.refund_id, r.status]), [[refundId, 'failed']]);
    assert.equal(failureLogs(refundId).length, 1);
    assert.match(failureLogs(refundId)[0]!.msg, /customer did not get the money back/);

    // The same event again, and a stale one saying succeeded: nothing moves, nothing logged twice.
    await deliver(event);
    await deliver(await eventFor('refund.created', refundId));
    assert.equal((await refundRow(refundId)).status, 'failed');
    assert.equal(failureLogs(refundId).length, 1);

    const again = await t.api.post('/payment/refund', { paymentIntentId });
    assert.deepEqual([again.status, again.body.data?.amount], [200, 3000], 'all of it can be refunded again');
  });

  it('pm_card_refundFail, the event lost: the reconciler asks Stripe about recent refunds and records the failure', async () => {
    const { paymentIntentId, refundId } = await refundOn('pm_card_refundFail');
    await t.stripe.settleRefunds();
    const report = await t.app.services.reconciler.runOnce();
    assert.ok(report.refundsRechecked >= 1);
    const retrieved = t.stripe.requestsFor('refunds.retrieve').filter((r) => r.path === `/v1/refunds/${refundId}`);
    assert.ok(retrieved.length >= 1, 'asked Stripe');
    assert.deepEqual([(await refundRow(refundId)).status, await amountRefunded(paymentIntentId)], ['failed', 0]);
    assert.equal(failureLogs(refundId).length, 1);
    const over = await t.api.post('/payment/refund', { paymentIntentId, amount: 3001 });
    assert.deepEqual([over.status, over.body.amount_remaining], [400, 3000]);
  });

  it('pm_card_pendingRefund: pending and held against what is left, then succeeded when the reconciler looks', async () => {
    const { paymentIntentId, refundId, status } = await refundOn('pm_card_pendingRefund');
    assert.equal(status, 'pending');
    const over = await t.api.post('/payment/refund', { paymentIntentId, amount: 2001 });
    assert.deepEqual([over.status, over.body.code, over.body.amount_remaining], [400, 'refund_exceeds_amount', 2000]);
    await t.stripe.settleRefunds();
    await t.app.services.reconciler.runOnce();
    assert.deepEqual([(await refundRow(refundId)).status, await amountRefunded(paymentIntentId)], ['succeeded', 1000]);
  });

  it('an event for a refund whose answer was lost finds its row by our refund id in the metadata', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, 'pm_card_visa');
    const paymentIntentId: string = (await pay(t.api, customerId, card)).body.data.payment_intent_id;
    t.stripe.dropAfterProcessing({ method: 'POST', path: '/v1/refunds', times: 3 });
    const lost = await t.api.post('/payment/refund', { paymentIntentId, amount: 500 });
    assert.deepEqual([lost.status, lost.body.code], [503, 'processor_unavailable']);
    const row = await refundRow(lost.body.refund_id);
    assert.deepEqual([row.status, row.processor_refund_id], ['unknown', null]);
    const created = (await t.stripe.events()).find((e) => e.type === 'refund.created' && (e.data.object as StripeLikeRefund).metadata['refund_id'] === row.id)!;
    const stripeRefund = created.data.object as StripeLikeRefund;
    await t.app.services.refunds.recordProcessorRefund(toProcessorRefund(stripeRefund));
    assert.deepEqual(await refundRow(row.id), { ...row, status: 'succeeded', processor_refund_id: stripeRefund.id });
    assert.equal(await t.app.services.refunds.recordProcessorRefund({ ...toProcessorRefund(stripeRefund), id: 're_notOurs', metadata: {} }), null);
  });
});
