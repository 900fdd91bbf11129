import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { loggerOptions } from '../../src/app.js';
import { SimulatedStripeError } from '../../src/processors/simulated/outcomes.js';
import { SimulatedStripe } from '../../src/processors/simulated/simulated-stripe.js';
import { SimulatedLedger } from '../../src/store/simulated-ledger.js';
import { createCustomer, outage, pay, payAwaitingAuthentication, processorCharges, saveCard, startTestApp, uniqueEmail, type TestApp } from '../helpers/app.js';
import { TEST_DB } from '../helpers/database.js';
import { platformUserToken } from '../helpers/tokens.js';
import { startStripeTestApp, type StripeTestApp } from '../stripe-server/stripe-test-app.js';

/**
 * Payments the service gives up on (a decline, a failed 3-D Secure) free their order, and their
 * intent is canceled at the processor, so that the client secret the browser holds can never
 * confirm it again. In the window before the cancel lands, the customer may still confirm it with
 * another card: that late success is recorded, never a 500, and refunded when the order was paid
 * meanwhile by another payment.
 */
describe('payments the service gave up on', () => {
  let t: TestApp;
  /** The customer's browser: Stripe.js confirming the open intent with the client secret. */
  let browser: SimulatedStripe;
  let cancelUnreachable = false;
  const logLines: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  before(async () => {
    t = await startTestApp({
      env: { RECONCILE_GRACE_MS: '0' },
      faults: {
        before(operation) {
          if (cancelUnreachable && operation === 'payment_intents.cancel') throw outage(operation);
        },
      },
      logger: { ...(loggerOptions({ logLevel: 'warn' }) as object), stream: { write: (line: string) => void logLines.push(JSON.parse(line)) } },
    });
    browser = new SimulatedStripe(new SimulatedLedger(t.db));
  });
  after(() => t.close());
  beforeEach(() => {
    cancelUnreachable = false;
  });

  interface Row {
    id: string;
    status: string;
    superseded_by: string | null;
    pending_operation: string | null;
    failure_code: string | null;
    decline_code: string | null;
  }
  const row = async (processorId: string) =>
    (await t.db.query<Row>('SELECT id, status, superseded_by, pending_operation, failure_code, decline_code FROM payments WHERE processor_payment_intent_id = $1', [processorId])).rows[0]!;
  const atProcessor = async (processorId: string) => (await t.processor.retrievePaymentIntent(processorId)).status;
  const refundsOf = async (paymentId: string) =>
    (await t.db.query<{ id: string; status: string; amount: number; reason: string; processor_refund_id: string | null }>(
      'SELECT id, status, amount::int AS amount, reason, processor_refund_id FROM refunds WHERE payment_id = $1', [paymentId],
    )).rows;
  const processorRefundsOf = async (processorId: string) =>
    (await t.db.query<{ status: string; amount: number }>(
      "SELECT data->>'status' AS status, (data->>'amount')::int AS amount FROM simulated_processor_objects WHERE type = 'refund' AND lookup_key = $1",
      [processorId],
    )).rows;
  const payWithKey = (customerId: string, paymentMethodId: string, orderId: string, key: string) =>
    t.api.post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId, orderId }, { 'idempotency-key': key });
  /** A pass of the reconciler that left nothing behind: nothing to resolve, nothing failing. */
  async function assertNextPassClean() {
    const report = await t.app.services.reconciler.runOnce();
    assert.deepEqual([report.payments, report.failures], [0, 0], JSON.stringify(report));
  }

  /** A payment whose 3-D Secure the customer failed, seen by the service while the processor's cancel endpoint is unreachable. */
  async function failedChallengeNotCanceledYet(extra: Record<string, unknown> = {}, start = () => payAwaitingAuthentication(t.api, extra)) {
    const awaiting = await start();
    await browser.completeAuthentication(awaiting.id, false);
    cancelUnreachable = true;
    const polled = await t.api.get(`/payment/payment-intent/${awaiting.id}`);
    cancelUnreachable = false;
    assert.equal(polled.status, 200);
    assert.equal(polled.body.data.status, 'requires_payment_method');
    const given = await row(awaiting.id);
    assert.deepEqual([given.status, given.pending_operation], ['requires_payment_method', 'cancel'], 'marked before the cancel was sent');
    assert.equal(await atProcessor(awaiting.id), 'requires_payment_method', 'still open at the processor');
    return { ...awaiting, rowId: given.id };
  }

  it('a failed 3-D Secure: the intent is canceled at the processor, and its client secret can no longer pay', async () => {
    const { id, customerId, orderId } = await payAwaitingAuthentication(t.api);
    await browser.completeAuthentication(id, false);
    const polled = await t.api.get(`/payment/payment-intent/${id}`);
    assert.equal(polled.body.data.status, 'canceled');
    assert.equal(polled.body.data.last_payment_error.code, 'payment_intent_authentication_failure', 'the reason is kept');
    assert.equal(await atProcessor(id), 'canceled');
    const events = await t.db.query<{ from_status: string; to_status: string; source: string }>(
      'SELECT from_status, to_status, source FROM payment_events WHERE payment_id = $1 ORDER BY id', [(await row(id)).id],
    );
    assert.deepEqual(events.rows.slice(-2).map((e) => [e.from_status, e.to_status, e.source]), [
      ['requires_action', 'requires_payment_method', 'reconciler'],
      ['requires_payment_method', 'canceled', 'give_up'],
    ]);
    await assert.rejects(browser.confirmPaymentIntent(id, { payment_method: 'pm_card_visa' }), (error: unknown) =>
      error instanceof SimulatedStripeError && error.error.code === 'payment_intent_unexpected_state');
    assert.equal((await processorCharges(t.db, orderId)).length, 0);
    const again = await pay(t.api, customerId, await saveCard(t.api, customerId), { orderId });
    assert.equal(again.body.data.status, 'succeeded');
    await assertNextPassClean();
  });

  it('the 3-D Secure case end to end: a late success on a given-up payment whose order was paid again is refunded automatically, no 500, the next pass clean', async () => {
    const failed = await failedChallengeNotCanceledYet();
    // The order is free: paid with another card.
    const paid = await pay(t.api, failed.customerId, await saveCard(t.api, failed.customerId), { orderId: failed.orderId });
    assert.equal(paid.body.data.status, 'succeeded');
    // Meanwhile, the customer's browser confirms the old intent again, with another card: it succeeds there.
    const confirmed = await browser.confirmPaymentIntent(failed.id, { payment_method: 'pm_card_visa' });
    assert.equal(confirmed.status, 'succeeded');
    assert.equal((await processorCharges(t.db, failed.orderId)).length, 2, 'the order was charged twice at the processor');

    logLines.length = 0;
    const report = await t.app.services.reconciler.runOnce();
    assert.equal(report.failures, 0, JSON.stringify(report));

    const late = await row(failed.id);
    const holder = await row(paid.body.data.payment_intent_id);
    assert.deepEqual([late.status, late.superseded_by, late.pending_operation], ['succeeded', holder.id, null], 'recorded as it is, superseded by the holder');
    assert.deepEqual([holder.status, holder.superseded_by], ['succeeded', null], 'the order keeps its payment');
    const [refund, ...others] = await refundsOf(late.id);
    assert.deepEqual(others, []);
    assert.deepEqual([refund?.status, refund?.amount, refund?.reason], ['succeeded', 2500, 'duplicate']);
    assert.deepEqual(await processorRefundsOf(failed.id), [{ status: 'succeeded', amount: 2500 }], 'refunded at the processor, once');
    const errors = logLines.filter((line) => line.level === 50);
    assert.equal(errors.length, 1, JSON.stringify(logLines));
    assert.match(errors[0]!.msg, /succeeded at the processor after its order was paid by another: refunding it in full/);
    assert.deepEqual([errors[0]!['paymentId'], errors[0]!['supersededBy'], errors[0]!['orderId']], [late.id, holder.id, failed.orderId]);

    // What the API shows: the late payment refunded in full; the order still paid once, by its holder.
    const details = await t.api.get(`/payment/payment-intent/${failed.id}`);
    assert.deepEqual([details.status, details.body.data.status, details.body.data.amount_refunded], [200, 'succeeded', 2500]);
    const third = await pay(t.api, failed.customerId, await saveCard(t.api, failed.customerId), { orderId: failed.orderId });
    assert.deepEqual([third.status, third.body.code, third.body.payment_intent_id], [409, 'order_already_paid', paid.body.data.payment_intent_id]);
    await assertNextPassClean();
  });

  it('a late success found by a status poll is recorded and refunded the same way, never a 500', async () => {
    const failed = await failedChallengeNotCanceledYet();
    const paid = await pay(t.api, failed.customerId, await saveCard(t.api, failed.customerId), { orderId: failed.orderId });
    await browser.confirmPaymentIntent(failed.id, { payment_method: 'pm_card_visa' });
    const polled = await t.api.get(`/payment/payment-intent/${failed.id}`);
    assert.equal(polled.status, 200, JSON.stringify(polled.body));
    assert.deepEqual([polled.body.data.status, polled.body.data.amount_refunded], ['succeeded', 2500]);
    assert.equal((await row(failed.id)).superseded_by, (await row(paid.body.data.payment_intent_id)).id);
    assert.deepEqual(await processorRefundsOf(failed.id), [{ status: 'succeeded', amount: 2500 }]);
    await assertNextPassClean();
  });

  it('a late success on a given-up payment whose order was not paid again becomes the order\'s payment', async () => {
    const failed = await failedChallengeNotCanceledYet();
    await browser.confirmPaymentIntent(failed.id, { payment_method: 'pm_card_visa' });
    const report = await t.app.services.reconciler.runOnce();
    assert.equal(report.failures, 0);
    const late = await row(failed.id);
    assert.deepEqual([late.status, late.superseded_by], ['succeeded', null]);
    assert.deepEqual(await refundsOf(late.id), [], 'nothing to refund: it is the order\'s only payment');
    const again = await pay(t.api, failed.customerId, await saveCard(t.api, failed.customerId), { orderId: failed.orderId });
    assert.deepEqual([again.status, again.body.code, again.body.payment_intent_id], [409, 'order_already_paid', failed.id], 'the order is held again');
    await assertNextPassClean();
  });

  /** A customer paying with its own user token, for `orderId`, with a card that asks for 3-D Secure. */
  async function ownTokenAwaitingAuthentication(orderId: string) {
    const email = uniqueEmail('own-token');
    const api = t.api.withToken(await platformUserToken(email));
    const customerId = await createCustomer(api, email);
    const card = await saveCard(api, customerId, 'pm_card_authenticationRequired');
    const response = await pay(api, customerId, card, { orderId });
    assert.equal(response.body.data?.status, 'requires_action', JSON.stringify(response.body));
    return { customerId, card, orderId, id: response.body.data.payment_intent_id as string, nextAction: response.body.data.next_action };
  }

  it('holds (migration 018): a customer\'s own late success is superseded by an order-wide payment made meanwhile, and refunded', async () => {
    const orderId = `order_${randomBytes(6).toString('hex')}`;
    const failed = await failedChallengeNotCanceledYet({}, () => ownTokenAwaitingAuthentication(orderId));
    const ownerId = await createCustomer(t.api);
    const paid = await pay(t.api, ownerId, await saveCard(t.api, ownerId), { orderId });
    assert.equal(paid.body.data?.status, 'succeeded', JSON.stringify(paid.body));
    await browser.confirmPaymentIntent(failed.id, { payment_method: 'pm_card_visa' });
    assert.equal((await t.app.services.reconciler.runOnce()).failures, 0);
    const late = await row(failed.id);
    const holder = await row(paid.body.data.payment_intent_id);
    assert.deepEqual([late.status, late.superseded_by], ['succeeded', holder.id], 'an order-wide hold holds the order against every customer');
    assert.deepEqual((await refundsOf(late.id)).map((r) => [r.status, r.amount, r.reason]), [['succeeded', 2500, 'duplicate']]);
    await assertNextPassClean();
  });

  it('holds (migration 018): an order-wide late success is not superseded by another customer\'s own payment; both stand, neither refunded', async () => {
    const failed = await failedChallengeNotCanceledYet();
    const email = uniqueEmail('stranger');
    const api = t.api.withToken(await platformUserToken(email));
    const strangerId = await createCustomer(api, email);
    const own = await pay(api, strangerId, await saveCard(api, strangerId), { orderId: failed.orderId, captureMethod: 'manual' });
    assert.equal(own.body.data?.status, 'requires_capture', JSON.stringify(own.body));
    await browser.confirmPaymentIntent(failed.id, { payment_method: 'pm_card_visa' });
    assert.equal((await t.app.services.reconciler.runOnce()).failures, 0);
    const late = await row(failed.id);
    assert.deepEqual([late.status, late.superseded_by], ['succeeded', null], 'the order-wide payment is the order\'s again');
    assert.deepEqual(await refundsOf(late.id), []);
    const strangers = await row(own.body.data.payment_intent_id);
    assert.deepEqual([strangers.status, strangers.superseded_by], ['requires_capture', null]);
    await assertNextPassClean();
  });

  it('a late authorization (manual capture) on a given-up payment whose order was paid again is released, never captured', async () => {
    // The cancel the service sends when it gives up releases an authorization made meanwhile.
    const pending = await failedChallengeNotCanceledYet({ captureMethod: 'manual' });
    assert.equal((await pay(t.api, pending.customerId, await saveCard(t.api, pending.customerId), { orderId: pending.orderId })).status, 200);
    assert.equal((await browser.confirmPaymentIntent(pending.id, { payment_method: 'pm_card_visa' })).status, 'requires_capture');
    // The same after a crash before the cancel was marked: the reconciler sees the authorization first, superseded, and cancels it.
    const crashed = await failedChallengeNotCanceledYet({ captureMethod: 'manual' });
    await t.db.query('UPDATE payments SET pending_operation = NULL WHERE id = $1', [crashed.rowId]);
    const paid = await pay(t.api, crashed.customerId, await saveCard(t.api, crashed.customerId), { orderId: crashed.orderId });
    assert.equal((await browser.confirmPaymentIntent(crashed.id, { payment_method: 'pm_card_visa' })).status, 'requires_capture');

    const report = await t.app.services.reconciler.runOnce();
    assert.equal(report.failures, 0, JSON.stringify(report));
    for (const id of [pending.id, crashed.id]) {
      assert.equal((await row(id)).status, 'canceled', id);
      assert.equal(await atProcessor(id), 'canceled', 'the authorization is released');
    }
    assert.equal((await row(crashed.id)).superseded_by, (await row(paid.body.data.payment_intent_id)).id);
    const events = await t.db.query<{ to_status: string }>('SELECT to_status FROM payment_events WHERE payment_id = $1 ORDER BY id', [crashed.rowId]);
    assert.deepEqual(events.rows.map((e) => e.to_status).slice(-2), ['requires_capture', 'canceled']);
    await assertNextPassClean();
  });

  it('a late success recorded while another payment for the order is being written waits for it, then is superseded by it', { skip: TEST_DB !== 'postgres' && 'PGlite runs one transaction at a time' }, async () => {
    const failed = await failedChallengeNotCanceledYet();
    await browser.confirmPaymentIntent(failed.id, { payment_method: 'pm_card_visa' });
    const { customer_id: customerRowId } = (await t.db.query<{ customer_id: string }>('SELECT customer_id FROM payments WHERE id = $1', [failed.rowId])).rows[0]!;
    // Another payment of the order, written but not committed when the late success is recorded.
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    let written!: (id: string) => void;
    const holderWritten = new Promise<string>((resolve) => (written = resolve));
    const writer = t.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `INSERT INTO payments (id, processor, customer_id, payment_method_id, order_id, amount, currency, status, amount_received)
         VALUES (gen_random_uuid(), 'simulated', $1, 'pm_other', $2, 2500, 'usd', 'succeeded', 2500) RETURNING id`,
        [customerRowId, failed.orderId],
      );
      written(rows[0]!.id);
      await committed;
    });
    const holderId = await holderWritten;
    const polled = t.api.get(`/payment/payment-intent/${failed.id}`);
    // Until the recording waits on the unique index for the uncommitted holder (or a few seconds).
    for (let i = 0; i < 50; i += 1) {
      const waiting = await t.db.query(
        "SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%superseded_by = $12::uuid%' AND datname = current_database()",
      );
      if (waiting.rowCount) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    commit();
    await writer;
    const answer = await polled;
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual([answer.body.data.status, answer.body.data.amount_refunded], ['succeeded', 2500]);
    assert.equal((await row(failed.id)).superseded_by, holderId);
    await assertNextPassClean();
  });

  it('a superseded authorization is never captured', async () => {
    const customerId = await createCustomer(t.api);
    const authorized = await pay(t.api, customerId, await saveCard(t.api, customerId), { captureMethod: 'manual' });
    const id: string = authorized.body.data.payment_intent_id;
    const other = await pay(t.api, customerId, await saveCard(t.api, customerId), { orderId: `order_${randomBytes(6).toString('hex')}` });
    // As the recording of a late authorization leaves it, before it is released.
    await t.db.query('UPDATE payments SET superseded_by = (SELECT id FROM payments WHERE processor_payment_intent_id = $2) WHERE processor_payment_intent_id = $1', [
      id, other.body.data.payment_intent_id,
    ]);
    const captured = await t.api.post(`/payment/payment-intent/${id}/capture`, {});
    assert.deepEqual([captured.status, captured.body.code], [409, 'invalid_state']);
    assert.match(captured.body.message, /superseded by another payment of its order/);
    assert.equal(await atProcessor(id), 'requires_capture');
    // The reconciler releases it.
    await t.app.services.reconciler.runOnce();
    assert.equal(await atProcessor(id), 'canceled');
    await assertNextPassClean();
  });

  it('a decline: the same 402 as before, a replay identical, and the declined intent canceled at the processor', async () => {
    const customerId = await createCustomer(t.api);
    const key = `decline-${randomBytes(6).toString('hex')}`;
    const orderId = `order_${randomBytes(6).toString('hex')}`;
    const first = await payWithKey(customerId, 'pm_card_chargeDeclinedInsufficientFunds', orderId, key);
    assert.equal(first.status, 402);
    assert.deepEqual([first.body.code, first.body.decline_code, first.body.message], ['card_declined', 'insufficient_funds', 'Your card has insufficient funds.']);
    assert.match(first.body.payment_intent_id, /^pi_/);
    const declined = await row(first.body.payment_intent_id);
    assert.deepEqual([declined.status, declined.failure_code, declined.decline_code], ['canceled', 'card_declined', 'insufficient_funds']);
    assert.equal(await atProcessor(first.body.payment_intent_id), 'canceled');

    const replay = await payWithKey(customerId, 'pm_card_chargeDeclinedInsufficientFunds', orderId, key);
    assert.deepEqual([replay.status, replay.body], [402, first.body]);
    // Resumed from the row (the first request died before its answer was stored): the same decline.
    await t.db.query(
      "UPDATE idempotency_keys SET state = 'in_progress', locked_until = now() - interval '1 second', response_status = NULL, response_body = NULL WHERE key = $1",
      [key],
    );
    const resumed = await payWithKey(customerId, 'pm_card_chargeDeclinedInsufficientFunds', orderId, key);
    assert.deepEqual([resumed.status, resumed.body], [402, first.body]);
    assert.equal((await t.db.query('SELECT 1 FROM payments WHERE order_id = $1', [orderId])).rowCount, 1, 'no second attempt');
    await assertNextPassClean();
  });

  it('a decline whose cancel could not be sent, or was lost in a crash before it was marked, is canceled by the reconciler', async () => {
    const customerId = await createCustomer(t.api);
    cancelUnreachable = true;
    const unsent = await pay(t.api, customerId, 'pm_card_chargeDeclined');
    const crashed = await pay(t.api, customerId, 'pm_card_chargeDeclined');
    cancelUnreachable = false;
    assert.deepEqual([unsent.status, unsent.body.code, unsent.body.decline_code], [402, 'card_declined', 'generic_decline'], 'the client\'s answer does not wait for the cancel');
    assert.equal((await row(unsent.body.payment_intent_id)).pending_operation, 'cancel');
    // A crash after the decline was recorded, before the cancel was marked: no trace but the row itself.
    await t.db.query('UPDATE payments SET pending_operation = NULL WHERE processor_payment_intent_id = $1', [crashed.body.payment_intent_id]);

    const report = await t.app.services.reconciler.runOnce();
    assert.equal(report.failures, 0);
    for (const id of [unsent.body.payment_intent_id, crashed.body.payment_intent_id]) {
      assert.deepEqual([(await row(id)).status, (await row(id)).decline_code], ['canceled', 'generic_decline']);
      assert.equal(await atProcessor(id), 'canceled');
    }
    await assertNextPassClean();
  });

  it('a decline the processor refused without making an intent has nothing to cancel', async () => {
    const customerId = await createCustomer(t.api);
    // Saving the card is refused by the processor: pay with an unknown test id instead, refused before any intent.
    const refused = await pay(t.api, customerId, 'pm_card_doesNotExist');
    assert.equal(refused.status, 404);
    const { rows } = await t.db.query<{ status: string; processor_payment_intent_id: string | null }>(
      'SELECT status, processor_payment_intent_id FROM payments WHERE customer_id = (SELECT id FROM customers WHERE processor_customer_id = $1)', [customerId],
    );
    assert.deepEqual(rows, [{ status: 'canceled', processor_payment_intent_id: null }]);
    await assertNextPassClean();
  });
});

describe('payments the service gave up on, with PAYMENT_PROCESSOR=stripe (the test server)', () => {
  let t: StripeTestApp;
  before(async () => {
    t = await startStripeTestApp({ env: { RECONCILE_GRACE_MS: '0', STRIPE_MAX_NETWORK_RETRIES: '0' } });
  });
  after(() => t.close());

  /** What Stripe.js does with the client secret: confirms the open intent with a card. */
  const confirmAtStripe = async (id: string, paymentMethod: string) => {
    const response = await fetch(`${t.stripe.url}/v1/payment_intents/${id}/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.stripe.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payment_method: paymentMethod }).toString(),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const rowOf = async (processorId: string) =>
    (await t.db.query<{ id: string; status: string; superseded_by: string | null }>(
      'SELECT id, status, superseded_by FROM payments WHERE processor_payment_intent_id = $1', [processorId],
    )).rows[0]!;
  const intentAtStripe = async (id: string) => (await t.stripe.objects<{ id: string; status: string }>('payment_intent')).find((pi) => pi.id === id)!;

  it('a declined retry of 3-D Secure is canceled at Stripe; a late success on it, after the order was paid again, is refunded at Stripe', async () => {
    const customerId = await createCustomer(t.api);
    const orderId = `order_${randomBytes(6).toString('hex')}`;
    const awaiting = await pay(t.api, customerId, await saveCard(t.api, customerId, 'pm_card_authenticationRequired'), { orderId });
    const id: string = awaiting.body.data.payment_intent_id;
    // In the browser, the customer tries another card on the intent, which is declined.
    assert.equal((await confirmAtStripe(id, 'pm_card_chargeDeclined')).status, 402);
    // The service sees it; its cancel does not get through.
    t.stripe.answerNext(503, { method: 'POST', path: `/v1/payment_intents/${id}/cancel` });
    const polled = await t.api.get(`/payment/payment-intent/${id}`);
    assert.equal(polled.body.data.status, 'requires_payment_method');
    const paid = await pay(t.api, customerId, await saveCard(t.api, customerId, await t.newCard()), { orderId });
    assert.equal(paid.body.data.status, 'succeeded');
    // The browser still holds the client secret: a third card, and the old intent succeeds at Stripe.
    assert.equal((await confirmAtStripe(id, 'pm_card_visa')).body.status, 'succeeded');

    const report = await t.app.services.reconciler.runOnce();
    assert.equal(report.failures, 0, JSON.stringify(report));
    const late = await rowOf(id);
    assert.deepEqual([late.status, late.superseded_by], ['succeeded', (await rowOf(paid.body.data.payment_intent_id)).id]);
    const cancels = t.stripe.requestsFor('payment_intents.cancel').filter((r) => r.path === `/v1/payment_intents/${id}/cancel`);
    assert.deepEqual(cancels.map((r) => [r.status, r.idempotencyKey]), [[503, `pi-cancel:${late.id}:1`], [400, `pi-cancel:${late.id}:1`]]);
    const refunds = (await t.stripe.objects<{ payment_intent: string; amount: number; reason: string; status: string; metadata: Record<string, string> }>('refund'))
      .filter((refund) => refund.payment_intent === id);
    assert.equal(refunds.length, 1);
    assert.deepEqual([refunds[0]!.amount, refunds[0]!.reason, refunds[0]!.status], [2500, 'duplicate', 'succeeded']);
    const refundRow = (await t.db.query<{ id: string; status: string }>('SELECT id, status FROM refunds WHERE payment_id = $1', [late.id])).rows;
    assert.deepEqual(refundRow.map((r) => [r.id, r.status]), [[refunds[0]!.metadata['refund_id'], 'succeeded']]);
    assert.equal((await intentAtStripe(paid.body.data.payment_intent_id)).status, 'succeeded', 'the order\'s payment is left alone');
    const next = await t.app.services.reconciler.runOnce();
    assert.deepEqual([next.payments, next.failures], [0, 0]);
  });

  it('a decline on creation: Stripe\'s intent is canceled, and confirming it again with another card is refused by Stripe', async () => {
    const customerId = await createCustomer(t.api);
    const declined = await pay(t.api, customerId, 'pm_card_chargeDeclined');
    assert.deepEqual([declined.status, declined.body.decline_code], [402, 'generic_decline']);
    assert.equal((await intentAtStripe(declined.body.payment_intent_id)).status, 'canceled');
    const retried = await confirmAtStripe(declined.body.payment_intent_id, 'pm_card_visa');
    assert.deepEqual([retried.status, retried.body.error.code], [400, 'payment_intent_unexpected_state']);
  });
});
