import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp, loggerOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createProcessor } from '../../src/processors/index.js';
import { ProcessorError } from '../../src/processors/processor.js';
import { STRIPE_API_VERSION } from '../../src/processors/stripe/stripe-client.js';
import { walkApiDocument } from '../helpers/api-document-walk.js';
import { Api, createCustomer, pay, saveCard, TEST_DATA_KEY, uniqueEmail } from '../helpers/app.js';
import { startStripeTestApp, stripeEnv, type StripeTestApp } from '../stripe-server/stripe-test-app.js';
import { adminToken, TEST_JWT_SECRET } from '../helpers/tokens.js';

describe('PAYMENT_PROCESSOR=stripe: the API document walk and the calls Stripe receives', () => {
  let t: StripeTestApp;
  before(async () => {
    t = await startStripeTestApp();
  });
  after(() => t.close());

  const one = async <T extends Record<string, unknown>>(sql: string, params: unknown[]) => (await t.db.query<T>(sql, params)).rows[0]!;

  it('walks examples 1 to 8, and Stripe received exactly the listed calls, each POST keyed by our row', async () => {
    const firstCard = await t.newCard();
    t.stripe.requests.length = 0;
    const { customerId, paymentIntentId, refundId } = await walkApiDocument(t.api, { firstCard });
    const sealed = await one<{ id: string; email: string }>('SELECT id, email FROM customers WHERE processor_customer_id = $1', [customerId]);
    const customer = { id: sealed.id, email: t.app.services.sealedFields.open('customers', 'email', sealed.id, sealed.email) };
    const payment = await one<{ id: string; order_id: string; payment_method_id: string; status: string }>(
      'SELECT id, order_id, payment_method_id, status FROM payments WHERE processor_payment_intent_id = $1',
      [paymentIntentId],
    );
    const refund = await one<{ id: string; status: string }>('SELECT id, status FROM refunds WHERE processor_refund_id = $1', [refundId]);
    assert.deepEqual([payment.status, refund.status], ['succeeded', 'succeeded']);

    const calls = t.stripe.requests.map((r) => [r.method, r.operation, r.status]);
    assert.deepEqual(calls, [
      ['GET', 'customers.list', 200], // 1. look the email up before creating
      ['POST', 'customers.create', 200],
      ['POST', 'payment_methods.attach', 200], // 3. the first card, which becomes the default
      ['POST', 'customers.update', 200],
      ['POST', 'payment_methods.attach', 200], // 4. pm_card_visa, isDefault
      ['POST', 'customers.update', 200],
      ['POST', 'payment_methods.detach', 200], // 6.
      ['POST', 'payment_intents.create', 200], // 7.
      ['POST', 'refunds.create', 200], // 8.
    ]);
    for (const request of t.stripe.requests) {
      assert.equal(request.stripeVersion, STRIPE_API_VERSION, `${request.operation} pins the API version`);
      if (request.method === 'POST') assert.ok(request.idempotencyKey, `${request.operation} carries an Idempotency-Key`);
    }
    const [list, create, attach, , attachVisa, setDefault, detach, charge, refundCall] = t.stripe.requests;
    assert.deepEqual(list!.params, { email: customer.email, limit: '100' });
    assert.deepEqual([create!.idempotencyKey, create!.params], [
      `customer-create:${customer.id}`,
      { email: customer.email, name: 'John Doe', metadata: { customer_ref: customer.id } },
    ]);
    assert.equal(attach!.path, `/v1/payment_methods/${firstCard}/attach`);
    assert.deepEqual([attach!.idempotencyKey, attach!.params], [`pm-attach:${customerId}:g0:${firstCard}`, { customer: customerId }]);
    assert.equal(attachVisa!.idempotencyKey, `pm-attach:${customerId}:g0:pm_card_visa`);
    assert.deepEqual(setDefault!.params, { invoice_settings: { default_payment_method: payment.payment_method_id } });
    assert.deepEqual([detach!.path, detach!.idempotencyKey], [`/v1/payment_methods/${firstCard}/detach`, `pm-detach:${firstCard}`]);

    // Form-encoded as Stripe reads it: every value a string, metadata as bracketed keys.
    assert.equal(charge!.idempotencyKey, `pi-create:${payment.id}`);
    assert.deepEqual(charge!.params, {
      amount: '2500',
      currency: 'usd',
      customer: customerId,
      payment_method: payment.payment_method_id,
      confirm: 'true',
      metadata: { payment_id: payment.id, customer_id: customerId, order_id: payment.order_id },
      description: `CommuneDrop order ${payment.order_id}`,
      return_url: 'https://example.com/checkout/complete',
      // The charge comes expanded: an authorization's deadline is its capture_before.
      expand: ['latest_charge'],
    });
    assert.equal(refundCall!.idempotencyKey, `re-create:${refund.id}`);
    assert.deepEqual(refundCall!.params, {
      payment_intent: paymentIntentId,
      amount: '1000',
      reason: 'requested_by_customer',
      metadata: { refund_id: refund.id, payment_id: payment.id, order_id: payment.order_id },
    });
  });

  it('without a returnUrl, turns redirects off; with captureMethod manual, asks Stripe for manual capture', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, 'pm_card_visa');
    t.stripe.requests.length = 0;
    const automatic = await pay(t.api, customerId, card);
    const manual = await pay(t.api, customerId, card, { captureMethod: 'manual' });
    assert.deepEqual([automatic.body.data.status, manual.body.data.status], ['succeeded', 'requires_capture']);
    const [first, second] = t.stripe.requestsFor('payment_intents.create');
    assert.deepEqual(first!.params['automatic_payment_methods'], { enabled: 'true', allow_redirects: 'never' });
    assert.equal(first!.params['return_url'], undefined);
    assert.equal(first!.params['capture_method'], undefined);
    assert.equal(second!.params['capture_method'], 'manual');
  });

  it('the interface\'s other calls work through the SDK: retrieve, list, capture part, cancel, refund lookup', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, 'pm_card_mastercard');
    const processor = t.processor;
    assert.deepEqual(
      (await processor.listPaymentMethods(customerId)).map((pm) => [pm.id, pm.brand, pm.last4, pm.expMonth, pm.expYear]),
      [[card, 'mastercard', '4444', 12, 2034]],
    );
    assert.equal((await processor.retrievePaymentMethod(card)).customerId, customerId);

    const authorized = await pay(t.api, customerId, card, { captureMethod: 'manual', amount: 4000 });
    const id: string = authorized.body.data.payment_intent_id;
    const captured = await processor.capturePaymentIntent(id, 1500, `pi-capture:${id}`);
    assert.deepEqual([captured.status, captured.amountReceived, captured.amountCapturable], ['succeeded', 1500, 0]);
    assert.equal((await processor.retrievePaymentIntent(id)).status, 'succeeded');
    const capture = t.stripe.requestsFor('payment_intents.capture').at(-1)!;
    assert.deepEqual([capture.path, capture.params, capture.idempotencyKey], [`/v1/payment_intents/${id}/capture`, { amount_to_capture: '1500', expand: ['latest_charge'] }, `pi-capture:${id}`]);

    const other = (await pay(t.api, customerId, card, { captureMethod: 'manual' })).body.data.payment_intent_id;
    const canceled = await processor.cancelPaymentIntent(other, `pi-cancel:${other}`);
    assert.deepEqual([canceled.status, canceled.amountCapturable], ['canceled', 0]);

    // No route captures yet, so our row still says requires_capture: refund at the processor itself.
    const refund = await processor.createRefund({ paymentIntentId: id, amount: 500, reason: 'duplicate', metadata: {} }, `re-create:${id}`);
    const atStripe = await processor.retrieveRefund(refund.id);
    assert.deepEqual([atStripe.paymentIntentId, atStripe.amount, atStripe.status], [id, 500, 'succeeded']);
    await assert.rejects(processor.retrieveRefund('re_missing'), (e: unknown) => e instanceof ProcessorError && e.kind === 'not_found');
  });

  it('a wrong secret key: 500 processor_misconfigured, logged loudly, the key in neither the answer nor the logs', async () => {
    const wrongKey = 'sk_test_thisKeyIsWrongAndMustNotLeak4242';
    const lines: string[] = [];
    // The data key of the app whose database it shares: only the processor key is wrong.
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', JWT_SECRET: TEST_JWT_SECRET, DATA_ENCRYPTION_KEY: TEST_DATA_KEY, ...stripeEnv(t.stripe, { STRIPE_SECRET_KEY: wrongKey }) });
    const logger = { ...(loggerOptions(config) as object), stream: { write: (line: string) => void lines.push(line) } };
    const app = await buildApp(config, { db: t.db, processor: createProcessor(config, t.db) }, { logger });
    try {
      const response = await new Api(app, { authorization: `Bearer ${await adminToken()}` }).post('/payment/customer', { email: uniqueEmail('misconfigured'), name: 'Jo' });
      assert.equal(response.status, 500);
      assert.deepEqual(Object.keys(response.body).sort(), ['code', 'message', 'success']);
      assert.equal(response.body.code, 'processor_misconfigured');
      assert.doesNotMatch(JSON.stringify(response.body), /sk_|Invalid API Key/);
      assert.equal(t.stripe.requests.at(-1)!.status, 401);
      const logged = lines.join('');
      assert.match(logged, /rejected our credentials/);
      assert.equal(logged.includes(wrongKey), false, 'the key is never logged');
      assert.equal(logged.includes(t.stripe.secretKey), false);
    } finally {
      await app.close();
    }
  });
});
