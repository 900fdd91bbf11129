import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, outage, pay, processorCharges, saveCard, startTestApp, type TestApp } from '../helpers/app.js';

/**
 * The processor misbehaves on purpose: `failing` names operations that fail before reaching it
 * (an outage) or after it acted (the answer is lost). Counting calls shows work done once.
 */
describe('reconciliation of unknown outcomes', () => {
  const failBefore = new Set<string>();
  const failAfter = new Set<string>();
  const calls = new Map<string, number>();
  let t: TestApp;
  let second: TestApp;

  const faults = {
    before(operation: string) {
      calls.set(operation, (calls.get(operation) ?? 0) + 1);
      if (failBefore.has(operation)) throw outage(operation);
    },
    after(operation: string) {
      if (failAfter.has(operation)) throw outage(operation);
    },
  };

  before(async () => {
    t = await startTestApp({ env: { RECONCILE_GRACE_MS: '0' }, faults });
    second = await startTestApp({ env: { RECONCILE_GRACE_MS: '0' }, faults, sameDatabaseAs: t });
  });
  after(async () => {
    await second.close();
    await t.close();
  });

  const reset = () => {
    failBefore.clear();
    failAfter.clear();
    calls.clear();
  };

  async function customerWithCard() {
    const customerId = await createCustomer(t.api);
    return { customerId, card: await saveCard(t.api, customerId) };
  }

  const paymentRow = async (id: string) =>
    (await t.db.query<{ status: string; processor_payment_intent_id: string | null; pending_operation: string | null }>(
      'SELECT status, processor_payment_intent_id, pending_operation FROM payments WHERE id::text = $1 OR processor_payment_intent_id = $1',
      [id],
    )).rows[0];

  it('an outage before the processor leaves the payment unknown; the reconciler creates it once', async () => {
    reset();
    const { customerId, card } = await customerWithCard();
    const orderId = `order_${randomUUID()}`;
    failBefore.add('payment_intents.create');
    const response = await pay(t.api, customerId, card, { orderId });
    assert.equal(response.status, 503);
    assert.equal(response.body.code, 'processor_unavailable');
    const paymentId = response.body.payment_intent_id;
    assert.deepEqual(await paymentRow(paymentId), { status: 'unknown', processor_payment_intent_id: null, pending_operation: null });
    assert.equal((await processorCharges(t.db, orderId)).length, 0);

    failBefore.clear();
    await t.app.services.reconciler.runOnce();
    const row = await paymentRow(paymentId);
    assert.equal(row?.status, 'succeeded');
    const charges = await processorCharges(t.db, orderId);
    assert.deepEqual(charges.map((c) => c.id), [row?.processor_payment_intent_id]);
    const status = await t.api.get(`/payment/payment-intent/${row?.processor_payment_intent_id}`);
    assert.equal(status.body.data.status, 'succeeded');
  });

  it('a lost answer (the processor charged, we never heard): the reconciler finds the charge, no second one', async () => {
    reset();
    const { customerId, card } = await customerWithCard();
    const orderId = `order_${randomUUID()}`;
    failAfter.add('payment_intents.create');
    const response = await pay(t.api, customerId, card, { orderId });
    assert.equal(response.status, 503);
    assert.equal((await processorCharges(t.db, orderId)).length, 1, 'the processor did charge');
    assert.equal((await paymentRow(response.body.payment_intent_id))?.status, 'unknown');

    failAfter.clear();
    await t.app.services.reconciler.runOnce();
    const charges = await processorCharges(t.db, orderId);
    assert.equal(charges.length, 1);
    const row = await paymentRow(response.body.payment_intent_id);
    assert.deepEqual(row, { status: 'succeeded', processor_payment_intent_id: charges[0]!.id, pending_operation: null });
  });

  it('the order stays held while its payment is unknown, so a retry without a key cannot charge twice', async () => {
    reset();
    const { customerId, card } = await customerWithCard();
    const orderId = `order_${randomUUID()}`;
    failAfter.add('payment_intents.create');
    await pay(t.api, customerId, card, { orderId });
    failAfter.clear();
    const retry = await pay(t.api, customerId, card, { orderId });
    assert.equal(retry.status, 409);
    assert.equal(retry.body.code, 'order_already_paid');
    assert.equal(retry.body.status, 'unknown');
    assert.equal((await processorCharges(t.db, orderId)).length, 1);
  });

  it('a retry that takes over the key of a request that died resumes the payment the first attempt wrote', async () => {
    reset();
    const { customerId, card } = await customerWithCard();
    const orderId = `order_${randomUUID()}`;
    const headers = { 'idempotency-key': `resume-${randomUUID()}` };
    failAfter.add('payment_intents.create');
    const first = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId }, headers);
    assert.equal(first.status, 503);
    failAfter.clear();
    // As if the process had died before storing the answer: the key is left in progress, its lease run out.
    await t.db.query(
      "UPDATE idempotency_keys SET state = 'in_progress', response_status = NULL, response_body = NULL, locked_until = now() - interval '1 second' WHERE key = $1",
      [headers['idempotency-key']],
    );
    const retry = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId }, headers);
    assert.equal(retry.status, 200);
    assert.equal(retry.body.data.status, 'succeeded');
    const charges = await processorCharges(t.db, orderId);
    assert.deepEqual(charges.map((c) => c.id), [retry.body.data.payment_intent_id]);
    assert.equal((await t.db.query('SELECT 1 FROM payments WHERE order_id = $1', [orderId])).rowCount, 1);
  });

  it('a refund whose answer was lost is found by the reconciler, and counts against the amount meanwhile', async () => {
    reset();
    const { customerId, card } = await customerWithCard();
    const paid = await pay(t.api, customerId, card, { amount: 3000 });
    const paymentIntentId = paid.body.data.payment_intent_id;
    failAfter.add('refunds.create');
    const lost = await t.api.post('/payment/refund', { paymentIntentId, amount: 2000 });
    assert.equal(lost.status, 503);
    failAfter.clear();
    const tooMuch = await t.api.post('/payment/refund', { paymentIntentId, amount: 1001 });
    assert.equal(tooMuch.status, 400);
    assert.equal(tooMuch.body.amount_remaining, 1000);
    await t.app.services.reconciler.runOnce();
    const refunds = await t.api.get(`/payment/refunds?paymentIntentId=${paymentIntentId}`);
    assert.deepEqual(refunds.body.data.map((r: { amount: number; status: string }) => [r.amount, r.status]), [[2000, 'succeeded']]);
    const atProcessor = await t.db.query(
      "SELECT 1 FROM simulated_processor_objects WHERE type = 'refund' AND data->>'payment_intent' = $1",
      [paymentIntentId],
    );
    assert.equal(atProcessor.rowCount, 1);
  });

  it('a capture whose answer was lost is sent again with its key and recorded', async () => {
    reset();
    const { customerId, card } = await customerWithCard();
    const paid = await pay(t.api, customerId, card, { amount: 4000, captureMethod: 'manual' });
    const id = paid.body.data.payment_intent_id;
    failAfter.add('payment_intents.capture');
    const lost = await t.api.post(`/payment/payment-intent/${id}/capture`, { amount: 2500 });
    assert.equal(lost.status, 503);
    assert.deepEqual(await paymentRow(id), { status: 'requires_capture', processor_payment_intent_id: id, pending_operation: 'capture' });
    failAfter.clear();
    await t.app.services.reconciler.runOnce();
    assert.deepEqual(await paymentRow(id), { status: 'succeeded', processor_payment_intent_id: id, pending_operation: null });
    assert.equal((await t.processor.retrievePaymentIntent(id)).amountReceived, 2500);
  });

  it('a refund of a payment whose outcome is unknown resolves the payment first', async () => {
    reset();
    const { customerId, card } = await customerWithCard();
    failAfter.add('payment_intents.create');
    const lost = await pay(t.api, customerId, card, { amount: 3000 });
    failAfter.clear();
    const refund = await t.api.post('/payment/refund', { paymentIntentId: lost.body.payment_intent_id, amount: 500 });
    assert.equal(refund.status, 200, JSON.stringify(refund.body));
    assert.equal(refund.body.data.amount, 500);
    assert.match(refund.body.data.payment_intent, /^pi_/);
  });

  it('two instances reconciling at once resolve each payment once', async () => {
    reset();
    const lostIds: string[] = [];
    failBefore.add('payment_intents.create');
    for (let i = 0; i < 6; i++) {
      const { customerId, card } = await customerWithCard();
      lostIds.push((await pay(t.api, customerId, card)).body.payment_intent_id);
    }
    failBefore.clear();
    calls.clear();
    const [a, b] = await Promise.all([t.app.services.reconciler.runOnce(), second.app.services.reconciler.runOnce()]);
    assert.equal(a.payments + b.payments, 6);
    assert.equal(calls.get('payment_intents.create'), 6);
    for (const id of lostIds) assert.equal((await paymentRow(id))?.status, 'succeeded');
  });

  it('leaves a row alone while it may still belong to its request (grace period)', async () => {
    reset();
    const patient = await startTestApp({ env: { RECONCILE_GRACE_MS: '60000' }, faults, sameDatabaseAs: t });
    try {
      const { customerId, card } = await customerWithCard();
      failBefore.add('payment_intents.create');
      const lost = await pay(t.api, customerId, card);
      failBefore.clear();
      await patient.app.services.reconciler.runOnce();
      assert.equal((await paymentRow(lost.body.payment_intent_id))?.status, 'unknown');
    } finally {
      await patient.close();
    }
  });
});
