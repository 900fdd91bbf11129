import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomer, newCardToken, pay, saveCard, startTestApp, type TestApp } from '../helpers/app.js';

describe('payment intents', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const paymentRow = async (processorId: string) =>
    (await t.db.query<Record<string, unknown>>(
      `SELECT status, amount, currency, order_id, amount_received, amount_capturable, decline_code, failure_code, capture_method
       FROM payments WHERE processor_payment_intent_id = $1`,
      [processorId],
    )).rows[0];
  const paymentCount = async () => (await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM payments')).rows[0]!.n;
  const chargeCount = async () =>
    (await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM simulated_processor_objects WHERE type = 'payment_intent'")).rows[0]!.n;

  async function customerWithCard(token?: string) {
    const customerId = await createCustomer(t.api);
    const paymentMethodId = await saveCard(t.api, customerId, token);
    return { customerId, paymentMethodId };
  }

  it('charges a card: the document\'s four fields, a succeeded row, a succeeded processor intent', async () => {
    const { customerId, paymentMethodId } = await customerWithCard();
    const orderId = `order_${Date.now()}`;
    const response = await t.api.post('/payment/payment-intent', {
      amount: 2500,
      customerId,
      paymentMethodId,
      orderId,
      currency: 'usd',
      returnUrl: 'https://example.com/checkout/complete',
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.success, true);
    // The document's four fields, and paymentIntentId (the same id) where the web app reads it.
    assert.deepEqual(Object.keys(response.body.data).sort(), ['amount', 'currency', 'paymentIntentId', 'payment_intent_id', 'status']);
    assert.match(response.body.data.payment_intent_id, /^pi_[A-Za-z0-9]{24}$/);
    assert.equal(response.body.data.paymentIntentId, response.body.data.payment_intent_id);
    assert.deepEqual(
      { ...response.body.data, payment_intent_id: 'pi', paymentIntentId: 'pi' },
      { payment_intent_id: 'pi', paymentIntentId: 'pi', status: 'succeeded', amount: 2500, currency: 'usd' },
    );
    assert.deepEqual(await paymentRow(response.body.data.payment_intent_id), {
      status: 'succeeded',
      amount: 2500,
      currency: 'usd',
      order_id: orderId,
      amount_received: 2500,
      amount_capturable: 0,
      decline_code: null,
      failure_code: null,
      capture_method: 'automatic',
    });
    const atProcessor = await t.processor.retrievePaymentIntent(response.body.data.payment_intent_id);
    assert.equal(atProcessor.status, 'succeeded');
    assert.equal(atProcessor.amountReceived, 2500);
  });

  it('accepts the web app\'s body: the order client\'s fields and automatic_payment_methods', async () => {
    const { customerId, paymentMethodId } = await customerWithCard();
    const response = await t.api.post('/payment/payment-intent', {
      orderId: `order_web_${Date.now()}`,
      amount: 6522,
      paymentMethodId,
      currency: 'USD',
      customerId,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.currency, 'usd');
    assert.equal(response.body.data.amount, 6522);
  });

  it('refuses the web app\'s decimal dollars with the amount to send instead, and charges nothing', async () => {
    const { customerId, paymentMethodId } = await customerWithCard();
    const [payments, charges] = [await paymentCount(), await chargeCount()];
    const response = await pay(t.api, customerId, paymentMethodId, { amount: 65.22 });
    assert.equal(response.status, 400);
    assert.equal(response.body.code, 'invalid_amount');
    assert.match(response.body.message, /send 6522/);
    assert.equal(response.body.suggested_amount, 6522);
    assert.equal(await paymentCount(), payments);
    assert.equal(await chargeCount(), charges);
  });

  it('refuses bad amounts and currencies with a message that says what to fix', async () => {
    const { customerId, paymentMethodId } = await customerWithCard();
    const payments = await paymentCount();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ amount: 0 }, 'invalid_amount', /positive/],
      [{ amount: -5 }, 'invalid_amount', /positive/],
      [{ amount: 100_000_000 }, 'invalid_amount', /eight digits/],
      [{ amount: '2500' }, 'invalid_amount', /integer number of minor units/],
      [{ amount: 49 }, 'amount_below_minimum', /at least 50 \(0\.50 USD\)/],
      [{ amount: 49, currency: 'jpy' }, 'amount_below_minimum', /50 JPY/],
      [{ amount: 2500, currency: 'dollars' }, 'validation_failed', /currency has the wrong format/],
      [{ amount: 2500, currency: 'xyz' }, 'validation_failed', /ISO 4217/],
      [{ amount: undefined }, 'validation_failed', /amount is required/],
      [{ returnUrl: 'not a url' }, 'validation_failed', /returnUrl must be a valid uri/],
      [{ captureMethod: 'later' }, 'validation_failed', /captureMethod must be one of "automatic", "manual"/],
    ];
    for (const [extra, code, message] of cases) {
      const response = await pay(t.api, customerId, paymentMethodId, extra);
      assert.equal(response.status, 400, JSON.stringify(extra));
      assert.equal(response.body.code, code, JSON.stringify(extra));
      assert.match(response.body.message, message);
    }
    assert.equal(await paymentCount(), payments);
  });

  it('handles zero-decimal currencies: 500 JPY is amount 500', async () => {
    const { customerId, paymentMethodId } = await customerWithCard();
    const response = await pay(t.api, customerId, paymentMethodId, { amount: 500, currency: 'jpy' });
    assert.equal(response.status, 200);
    assert.deepEqual({ amount: response.body.data.amount, currency: response.body.data.currency }, { amount: 500, currency: 'jpy' });
  });

  it('answers 402 card_declined with Stripe\'s decline code, and records the declined attempt', async () => {
    const customerId = await createCustomer(t.api);
    for (const [token, declineCode, message] of [
      ['pm_card_chargeDeclined', 'generic_decline', 'Your card was declined.'],
      ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds', 'Your card has insufficient funds.'],
      ['pm_card_chargeDeclinedExpiredCard', 'expired_card', 'Your card has expired.'],
    ] as const) {
      const response = await pay(t.api, customerId, token, { orderId: `order_${token}` });
      assert.equal(response.status, 402, token);
      assert.equal(response.body.success, false);
      assert.equal(response.body.code, 'card_declined');
      assert.equal(response.body.decline_code, declineCode);
      assert.equal(response.body.message, message);
      const row = await paymentRow(response.body.payment_intent_id);
      // The declined attempt is given up: its intent canceled at the processor, the reason kept.
      assert.equal(row?.['status'], 'canceled');
      assert.equal(row?.['decline_code'], declineCode);
      assert.equal(row?.['amount_received'], 0);
    }
  });

  it('declines a saved card that fails to charge (pm_card_chargeCustomerFail), then lets the order be paid with another card', async () => {
    const { customerId, paymentMethodId } = await customerWithCard('pm_card_chargeCustomerFail');
    const orderId = `order_retry_${Date.now()}`;
    const declined = await pay(t.api, customerId, paymentMethodId, { orderId });
    assert.equal(declined.status, 402);
    const goodCard = await saveCard(t.api, customerId);
    const retried = await pay(t.api, customerId, goodCard, { orderId });
    assert.equal(retried.status, 200);
    assert.equal(retried.body.data.status, 'succeeded');
    const rows = await t.db.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1 ORDER BY created_at', [orderId]);
    assert.deepEqual(rows.rows.map((r) => r.status), ['canceled', 'succeeded']);
  });

  it('answers requires_action with 200, the next action and the client secret', async () => {
    const { customerId, paymentMethodId } = await customerWithCard('pm_card_authenticationRequired');
    const withReturn = await pay(t.api, customerId, paymentMethodId, { returnUrl: 'https://example.com/checkout/complete' });
    assert.equal(withReturn.status, 200);
    assert.equal(withReturn.body.data.status, 'requires_action');
    assert.match(withReturn.body.data.client_secret, /^pi_[A-Za-z0-9]+_secret_/);
    assert.equal(withReturn.body.data.next_action.type, 'redirect_to_url');
    assert.equal(withReturn.body.data.next_action.redirect_to_url.return_url, 'https://example.com/checkout/complete');
    const withoutReturn = await pay(t.api, customerId, paymentMethodId);
    assert.equal(withoutReturn.body.data.next_action.type, 'use_stripe_sdk');
    assert.equal((await paymentRow(withReturn.body.data.payment_intent_id))?.['status'], 'requires_action');
  });

  it('authorizes without capturing when captureMethod is manual', async () => {
    const { customerId, paymentMethodId } = await customerWithCard();
    const response = await pay(t.api, customerId, paymentMethodId, { captureMethod: 'manual', orderId: 'order_manual_capture' });
    assert.equal(response.status, 200);
    assert.equal(response.body.data.status, 'requires_capture');
    const captureBefore = Date.parse(response.body.data.capture_before);
    assert.ok(captureBefore > Date.now() + 6.9 * 24 * 3600 * 1000 && captureBefore < Date.now() + 7.1 * 24 * 3600 * 1000);
    assert.deepEqual(
      { ...(await paymentRow(response.body.data.payment_intent_id)) },
      {
        status: 'requires_capture', amount: 2500, currency: 'usd', order_id: 'order_manual_capture', amount_received: 0, amount_capturable: 2500,
        decline_code: null, failure_code: null, capture_method: 'manual',
      },
    );
  });

  it('charges an order once: a second payment for a paid order is 409 order_already_paid naming the first', async () => {
    const { customerId, paymentMethodId } = await customerWithCard();
    const orderId = `order_once_${Date.now()}`;
    const first = await pay(t.api, customerId, paymentMethodId, { orderId });
    const charges = await chargeCount();
    const second = await pay(t.api, customerId, paymentMethodId, { orderId });
    assert.equal(second.status, 409);
    assert.equal(second.body.code, 'order_already_paid');
    assert.equal(second.body.payment_intent_id, first.body.data.payment_intent_id);
    assert.equal(await chargeCount(), charges);
  });

  it('answers 404 for an unknown customer and for another customer\'s card', async () => {
    const { paymentMethodId } = await customerWithCard();
    const unknownCustomer = await pay(t.api, 'cus_unknown', paymentMethodId);
    assert.equal(unknownCustomer.status, 404);
    assert.equal(unknownCustomer.body.code, 'customer_not_found');
    const other = await createCustomer(t.api);
    const othersCard = await pay(t.api, other, paymentMethodId);
    assert.equal(othersCard.status, 404);
    assert.equal(othersCard.body.code, 'payment_method_not_found');
    const unknownCard = await pay(t.api, other, 'pm_card_unknownThing');
    assert.equal(unknownCard.status, 404);
    assert.equal(unknownCard.body.code, 'payment_method_not_found');
  });

  describe('GET /payment/payment-intent/:id', () => {
    it('answers the status of a payment', async () => {
      const { customerId, paymentMethodId } = await customerWithCard();
      const created = await pay(t.api, customerId, paymentMethodId, { orderId: `order_get_${Date.now()}` });
      const id = created.body.data.payment_intent_id;
      const response = await t.api.get(`/payment/payment-intent/${id}`);
      assert.equal(response.status, 200);
      assert.equal(response.body.data.payment_intent_id, id);
      assert.equal(response.body.data.status, 'succeeded');
      assert.equal(response.body.data.amount, 2500);
      assert.equal(response.body.data.amount_received, 2500);
      assert.equal(response.body.data.amount_refunded, 0);
      assert.equal(response.body.data.customer_id, customerId);
      assert.equal(response.body.data.payment_method_id, paymentMethodId);
      assert.equal(response.body.data.last_payment_error, null);
    });

    it('shows why a declined payment failed', async () => {
      const customerId = await createCustomer(t.api);
      const declined = await pay(t.api, customerId, 'pm_card_chargeDeclinedInsufficientFunds');
      const response = await t.api.get(`/payment/payment-intent/${declined.body.payment_intent_id}`);
      assert.equal(response.body.data.status, 'canceled');
      assert.deepEqual(response.body.data.last_payment_error, {
        code: 'card_declined',
        decline_code: 'insufficient_funds',
        message: 'Your card has insufficient funds.',
      });
    });

    it('answers 404 payment_intent_not_found for an unknown id', async () => {
      for (const id of ['pi_unknown', 'whatever', '00000000-0000-4000-8000-000000000000']) {
        const response = await t.api.get(`/payment/payment-intent/${id}`);
        assert.equal(response.status, 404, id);
        assert.equal(response.body.code, 'payment_intent_not_found');
      }
    });
  });

  it('writes the payment row before the processor is called', async () => {
    let statusSeenDuringCall: string | undefined;
    const observed = await startTestApp({
      faults: {
        before: async (operation) => {
          if (operation !== 'payment_intents.create') return;
          const { rows } = await observed.db.query<{ status: string }>('SELECT status FROM payments ORDER BY created_at DESC LIMIT 1');
          statusSeenDuringCall = rows[0]?.status;
        },
      },
    });
    try {
      const customerId = await createCustomer(observed.api);
      const card = await saveCard(observed.api, customerId);
      const response = await pay(observed.api, customerId, card);
      assert.equal(response.status, 200);
      assert.equal(statusSeenDuringCall, 'unknown');
    } finally {
      await observed.close();
    }
  });
});
