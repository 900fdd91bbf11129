import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard, startTestApp, uniqueEmail, type ApiResponse, type TestApp } from '../helpers/app.js';
import { simulatedStripeJs, STRIPE_API, stripeJs, type NewCard } from '../stripe-server/stripe-js.js';
import { startStripeTestApp, stripeProcessorFactory } from '../stripe-server/stripe-test-app.js';

/**
 * One contract, run against both processors: the simulated one in process, and the Stripe one (the
 * official SDK over loopback to the Stripe test server). The same requests must give the same
 * statuses, envelopes, fields, codes and messages. Each test asserts what matters; every answer is
 * also kept with its ids and times blanked, and the last test compares the two transcripts whole.
 *
 * Every id sent is one Stripe accepts: its documented test ids (`pm_card_visa`...) and cards made
 * as Stripe.js makes them (`newCard`), so the same suite runs against Stripe itself: set
 * STRIPE_TEST_SECRET_KEY to a test-mode secret key (sk_test_...). Without it that run is skipped,
 * and says so.
 */
const STRIPE_TEST_SECRET_KEY = process.env['STRIPE_TEST_SECRET_KEY']?.trim() || undefined;
const liveSkip = !STRIPE_TEST_SECRET_KEY
  ? 'STRIPE_TEST_SECRET_KEY is not set: the contract was NOT checked against Stripe\'s test mode (set it to an sk_test_ key to run it)'
  : /^(sk|rk)_test_/.test(STRIPE_TEST_SECRET_KEY)
    ? false
    : 'STRIPE_TEST_SECRET_KEY is not a test-mode key (sk_test_...): this suite never runs against live money';
if (liveSkip) console.warn(`\n*** ${liveSkip} ***\n`);

interface UnderTest {
  app: TestApp;
  newCard: NewCard;
}

const PROCESSORS: ReadonlyArray<{ name: string; skip?: string | false; start: () => Promise<UnderTest> }> = [
  {
    name: 'simulated',
    start: async () => {
      const app = await startTestApp();
      return { app, newCard: simulatedStripeJs(app.db) };
    },
  },
  {
    name: 'stripe',
    start: async () => {
      const app = await startStripeTestApp();
      return { app, newCard: app.newCard };
    },
  },
  {
    name: 'stripe test mode',
    skip: liveSkip,
    start: async () => {
      const env = { PAYMENT_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: STRIPE_TEST_SECRET_KEY! };
      const app = await startTestApp({ env, processor: stripeProcessorFactory(env) });
      return { app, newCard: stripeJs({ url: STRIPE_API, secretKey: STRIPE_TEST_SECRET_KEY! }) };
    },
  },
];
const transcripts = new Map<string, Array<[string, unknown]>>();

/**
 * Where the customer's browser passes 3-D Secure: Stripe's page, or the service's own with the
 * simulated processor. The one intended difference; each suite checks its own.
 */
const CHALLENGE_PAGE = /"(https:\/\/hooks\.stripe\.com\/[^"]*|\/payment\/simulated\/3ds\/[^"]*)"/g;

/** Ids and times differ from run to run; everything else must not. */
function blank(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value)
      .replace(CHALLENGE_PAGE, '"<3-D Secure page>"')
      .replace(/\b(cus|pm|pi|re|ch|src)_[A-Za-z0-9]+(_secret_[A-Za-z0-9]+)?/g, (_m, prefix: string, secret?: string) => `${prefix}_*${secret ? '_secret_*' : ''}`)
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
      .replace(/order_[a-z]+_\d+|order_[0-9a-f]{12}/g, 'order_*')
      .replace(/[\w.+-]+-[0-9a-f]{12}@example\.com/gi, '<email>'),
  );
}

for (const processor of PROCESSORS) {
  if (processor.skip) {
    // A skipped test, not a missing one: the runner's summary counts it and prints the reason.
    it(`the API contract, ${processor.name} processor`, { skip: processor.skip }, () => {});
    continue;
  }
  describe(`the API contract, ${processor.name} processor`, () => {
    let t: TestApp;
    let newCard: NewCard;
    const transcript: Array<[string, unknown]> = [];
    before(async () => {
      ({ app: t, newCard } = await processor.start());
      transcripts.set(processor.name, transcript);
    });
    after(() => t.close());

    const kept = <T extends ApiResponse>(step: string, response: T): T => {
      transcript.push([step, blank({ status: response.status, body: response.body })]);
      return response;
    };

    it('customers: create, find again in any case, get, unknown', async () => {
      const email = uniqueEmail('Contract');
      const created = kept('create', await t.api.post('/payment/customer', { email, name: 'John Doe' }));
      assert.equal(created.status, 201);
      const customerId = created.body.data.customerId;
      const again = kept('create again', await t.api.post('/payment/customer', { email: email.toUpperCase(), name: 'Other' }));
      assert.deepEqual([again.status, again.body.data.customerId], [200, customerId]);
      const found = kept('get', await t.api.get(`/payment/customer/${encodeURIComponent(email)}`));
      assert.deepEqual(found.body, { success: true, data: { customerId } });
      const unknown = kept('get unknown', await t.api.get(`/payment/customer/${encodeURIComponent(uniqueEmail('nobody'))}`));
      assert.deepEqual([unknown.status, unknown.body.success, unknown.body.code], [404, false, 'customer_not_found']);
    });

    it('cards: attach, test cards, details, list, default, delete', async () => {
      const customerId = await createCustomer(t.api);
      const token = await newCard();
      const attached = kept('attach', await t.api.post('/payment/payment-method', { customerId, paymentMethodId: token }));
      assert.deepEqual(attached.body, { success: true, data: { payment_method_id: token, card_last4: '4242', card_brand: 'visa' } });
      kept('attach again', await t.api.post('/payment/payment-method', { customerId, paymentMethodId: token }));
      const master = kept('attach mastercard', await t.api.post('/payment/payment-method', { customerId, paymentMethodId: 'pm_card_mastercard' }));
      assert.deepEqual([master.status, master.body.data.card_brand, master.body.data.card_last4], [201, 'mastercard', '4444']);
      const amex = kept(
        'details',
        await t.api.post('/payment/payment-method-details', {
          customerId, paymentMethodId: 'pm_card_amex', cardholderName: 'Jane Roe', last4: '0005', cardType: 'amex', expiryDate: '12/34', isDefault: true,
        }),
      );
      assert.deepEqual([amex.status, amex.body.data.card_brand, amex.body.data.is_default], [201, 'amex', true]);
      const listed = kept('list', await t.api.get(`/payment/payment-methods/${customerId}`));
      assert.deepEqual(listed.body.data.map((c: { card_brand: string; is_default: boolean }) => [c.card_brand, c.is_default]), [
        ['amex', true], ['visa', false], ['mastercard', false],
      ]);
      const madeDefault = kept('set default', await t.api.put('/payment/payment-method', { customerId, paymentMethodId: token, isDefault: true }));
      assert.equal(madeDefault.body.data.is_default, true);
      const deleted = kept('delete', await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: token }));
      assert.deepEqual(deleted.body.data, { success: true, message: 'Payment method deleted successfully' });
      const deletedAgain = kept('delete again', await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: token }));
      assert.deepEqual([deletedAgain.status, deletedAgain.body.code], [404, 'payment_method_not_found']);
      const charged = kept('charge deleted card', await pay(t.api, customerId, token));
      assert.deepEqual([charged.status, charged.body.code], [400, 'payment_method_unusable']);
      const savedAgain = kept('save deleted card again', await t.api.post('/payment/payment-method', { customerId, paymentMethodId: token }));
      assert.deepEqual([savedAgain.status, savedAgain.body.code], [400, 'payment_method_unusable']);
    });

    it('cards that cannot be saved: declined on attach, unknown card, unknown customer', async () => {
      const customerId = await createCustomer(t.api);
      const declined = kept('attach declined', await t.api.post('/payment/payment-method', { customerId, paymentMethodId: 'pm_card_chargeDeclined' }));
      assert.deepEqual([declined.status, declined.body.code, declined.body.decline_code], [402, 'card_declined', 'generic_decline']);
      const unknown = kept('attach unknown', await t.api.post('/payment/payment-method', { customerId, paymentMethodId: 'pm_card_doesNotExist' }));
      assert.deepEqual([unknown.status, unknown.body.code], [404, 'payment_method_not_found']);
      const noCustomer = kept('attach no customer', await t.api.post('/payment/payment-method', { customerId: 'cus_unknown', paymentMethodId: 'pm_card_visa' }));
      assert.deepEqual([noCustomer.status, noCustomer.body.code], [404, 'customer_not_found']);
    });

    it('payments: succeeded, details, declines, requires_action, manual capture, charged once', async () => {
      const customerId = await createCustomer(t.api);
      const card = await saveCard(t.api, customerId, 'pm_card_visa');
      const orderId = `order_contract_${Date.now()}`;
      const paid = kept('pay', await pay(t.api, customerId, card, { orderId, returnUrl: 'https://example.com/checkout/complete' }));
      assert.equal(paid.body.data.paymentIntentId, paid.body.data.payment_intent_id);
      assert.deepEqual(
        { ...paid.body.data, payment_intent_id: 'pi', paymentIntentId: 'pi' },
        { payment_intent_id: 'pi', paymentIntentId: 'pi', status: 'succeeded', amount: 2500, currency: 'usd' },
      );
      const details = kept('details', await t.api.get(`/payment/payment-intent/${paid.body.data.payment_intent_id}`));
      assert.deepEqual([details.body.data.amount_received, details.body.data.order_id], [2500, orderId]);
      const twice = kept('pay order again', await pay(t.api, customerId, card, { orderId }));
      assert.deepEqual([twice.status, twice.body.code, twice.body.payment_intent_id], [409, 'order_already_paid', paid.body.data.payment_intent_id]);

      for (const [token, declineCode] of [
        ['pm_card_chargeDeclined', 'generic_decline'],
        ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
        ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
      ] as const) {
        const declined = kept(`pay ${token}`, await pay(t.api, customerId, token));
        assert.deepEqual([declined.status, declined.body.code, declined.body.decline_code], [402, 'card_declined', declineCode]);
        assert.match(declined.body.payment_intent_id, /^pi_/);
        const why = kept(`details ${token}`, await t.api.get(`/payment/payment-intent/${declined.body.payment_intent_id}`));
        // Given up on: the declined intent is canceled at the processor, its reason kept.
        assert.deepEqual([why.body.data.status, why.body.data.last_payment_error.decline_code], ['canceled', declineCode]);
      }

      const failingCard = await saveCard(t.api, customerId, 'pm_card_chargeCustomerFail');
      const failOrder = `order_failing_${Date.now()}`;
      const failed = kept('pay saved failing card', await pay(t.api, customerId, failingCard, { orderId: failOrder }));
      assert.equal(failed.status, 402);
      const retried = kept('pay the order with another card', await pay(t.api, customerId, card, { orderId: failOrder }));
      assert.equal(retried.body.data.status, 'succeeded');

      const secure = await saveCard(t.api, customerId, 'pm_card_authenticationRequired');
      const redirect = kept('3ds with returnUrl', await pay(t.api, customerId, secure, { returnUrl: 'https://example.com/done' }));
      assert.deepEqual([redirect.status, redirect.body.data.status, redirect.body.data.next_action.type], [200, 'requires_action', 'redirect_to_url']);
      assert.match(redirect.body.data.client_secret, /^pi_[A-Za-z0-9]+_secret_/);
      const sdk = kept('3ds without returnUrl', await pay(t.api, customerId, secure));
      assert.equal(sdk.body.data.next_action.type, 'use_stripe_sdk');
      const page = processor.name === 'stripe' ? /^https:\/\/hooks\.stripe\.com\// : /^\/payment\/simulated\/3ds\/pi_\w+\?challenge=/;
      assert.match(redirect.body.data.next_action.redirect_to_url.url, page);
      assert.match(sdk.body.data.next_action.use_stripe_sdk.stripe_js, page);

      const manual = kept('manual capture', await pay(t.api, customerId, card, { captureMethod: 'manual' }));
      assert.equal(manual.body.data.status, 'requires_capture');
      assert.ok(Date.parse(manual.body.data.capture_before) > Date.now() + 6.9 * 24 * 3600 * 1000);
    });

    it('payments refused before the processor: decimal amount, unknown customer, another customer\'s card', async () => {
      const customerId = await createCustomer(t.api);
      const card = await saveCard(t.api, customerId, 'pm_card_visa');
      const decimal = kept('decimal amount', await pay(t.api, customerId, card, { amount: 65.22 }));
      assert.deepEqual([decimal.status, decimal.body.code, decimal.body.suggested_amount], [400, 'invalid_amount', 6522]);
      const unknown = kept('unknown customer', await pay(t.api, 'cus_unknown', card));
      assert.deepEqual([unknown.status, unknown.body.code], [404, 'customer_not_found']);
      const others = kept('other customer\'s card', await pay(t.api, await createCustomer(t.api), card));
      assert.deepEqual([others.status, others.body.code], [404, 'payment_method_not_found']);
      const unknownIntent = kept('unknown intent', await t.api.get('/payment/payment-intent/pi_unknown'));
      assert.deepEqual([unknownIntent.status, unknownIntent.body.code], [404, 'payment_intent_not_found']);
    });

    it('refunds: partial, over-refund, the rest, nothing left, unknown, not refundable', async () => {
      const customerId = await createCustomer(t.api);
      const card = await saveCard(t.api, customerId, 'pm_card_visa');
      const paymentIntentId = (await pay(t.api, customerId, card, { amount: 3000 })).body.data.payment_intent_id;
      const partial = kept('partial', await t.api.post('/payment/refund', { paymentIntentId, amount: 1000, reason: 'customer_requested' }));
      assert.deepEqual({ ...partial.body.data, refund_id: 're' }, { refund_id: 're', status: 'succeeded', amount: 1000, currency: 'usd', payment_intent: paymentIntentId });
      const over = kept('over', await t.api.post('/payment/refund', { paymentIntentId, amount: 2001 }));
      assert.deepEqual([over.status, over.body.code, over.body.amount_remaining], [400, 'refund_exceeds_amount', 2000]);
      const rest = kept('rest', await t.api.post('/payment/refund', { paymentIntentId }));
      assert.deepEqual([rest.status, rest.body.data.amount], [200, 2000]);
      const none = kept('nothing left', await t.api.post('/payment/refund', { paymentIntentId, amount: 1 }));
      assert.deepEqual([none.status, none.body.code, none.body.amount_remaining], [400, 'refund_exceeds_amount', 0]);
      const refunded = kept('refunded details', await t.api.get(`/payment/payment-intent/${paymentIntentId}`));
      assert.equal(refunded.body.data.amount_refunded, 3000);
      const unknown = kept('unknown', await t.api.post('/payment/refund', { paymentIntentId: 'pi_unknown', amount: 100 }));
      assert.deepEqual([unknown.status, unknown.body.code], [404, 'payment_intent_not_found']);
      const declined = await pay(t.api, customerId, 'pm_card_chargeDeclined');
      const notRefundable = kept('declined', await t.api.post('/payment/refund', { paymentIntentId: declined.body.payment_intent_id }));
      assert.deepEqual([notRefundable.status, notRefundable.body.code], [409, 'invalid_state']);
    });
  });
}

describe('the two processors', () => {
  it('gave the same answers, step for step (ids and times aside)', () => {
    const [simulated, stripe] = PROCESSORS.map((p) => transcripts.get(p.name));
    assert.ok(simulated && stripe && simulated.length > 30, 'both suites ran');
    assert.deepEqual(stripe, simulated);
  });
});
