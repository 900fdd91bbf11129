import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Api, startTestApp, uniqueEmail, type TestApp } from '../helpers/app.js';
import { platformUserToken, serviceToken } from '../helpers/tokens.js';
import { WebAppClient } from '../helpers/web-app.js';
import { AuthTokenEndpoint } from '../stubs/auth-token-endpoint.js';
import { OrderServiceStub } from '../stubs/order-service.js';
import { simulatedStripeJs, stripeJsConfirm, type NewCard } from '../stripe-server/stripe-js.js';
import { startStripeTestApp, type StripeTestApp } from '../stripe-server/stripe-test-app.js';

const newOrder = () => `order_browser_${randomBytes(6).toString('hex')}`;

// The Order Service, on loopback: it hears of each paid order from the outbox, once. The user tokens
// that pay here carry no order scope, so the relay sends with a service token from the token endpoint.
let orderService: OrderServiceStub;
let tokenEndpoint: AuthTokenEndpoint;
before(async () => {
  orderService = await OrderServiceStub.start();
  tokenEndpoint = await AuthTokenEndpoint.start();
});
after(async () => {
  await orderService.close();
  await tokenEndpoint.close();
});
const notifying = () => ({ ORDER_SERVICE_URL: orderService.url, OUTBOX_SWEEP_INTERVAL_MS: '0', ...tokenEndpoint.env() });

async function assertNotifiedOnce(app: FastifyInstance, orderId: string) {
  const received = () => orderService.received().filter((c) => c.orderId === orderId);
  for (let i = 0; i < 200 && received().length === 0; i++) {
    await app.services.relay!.runOnce();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await app.services.relay!.runOnce();
  assert.deepEqual(received().map((c) => c.body), [{ orderId, status: 'PAYMENT RECEIVED' }], 'the Order Service is told once that the order is paid');
}

describe('Stripe\'s browser-confirmed payment on the simulated processor', () => {
  let t: TestApp;
  let newCard: NewCard;
  let email: string;
  let user: Api;
  let app: WebAppClient;
  let customerId: string;

  before(async () => {
    t = await startTestApp({ jwks: true, env: notifying() });
    newCard = simulatedStripeJs(t.db);
    email = uniqueEmail('browser');
    user = t.anonymous.withToken(await platformUserToken(email));
    app = new WebAppClient(user, user);
    customerId = (await user.post('/payment/customer', { name: 'Jane Roe', email })).body.customerId;
  });
  after(() => t.close());

  const row = async (orderId: string) =>
    (await t.db.query<{ id: string; status: string; payment_method_id: string | null; processor_payment_intent_id: string }>(
      'SELECT id, status, payment_method_id, processor_payment_intent_id FROM payments WHERE order_id = $1 ORDER BY created_at',
      [orderId],
    )).rows;
  const history = async (paymentId: string) =>
    (await t.db.query<{ from_status: string | null; to_status: string }>(
      'SELECT from_status, to_status FROM payment_events WHERE payment_id = $1 ORDER BY id',
      [paymentId],
    )).rows.map((e) => `${e.from_status ?? '-'}>${e.to_status}`);
  const intentsAtProcessor = async (orderId: string) =>
    (await t.db.query<{ id: string; status: string }>(
      `SELECT id, data->>'status' AS status FROM simulated_processor_objects WHERE type = 'payment_intent' AND data->'metadata'->>'order_id' = $1`,
      [orderId],
    )).rows;
  /** Stripe.js's confirmCardPayment, as the simulated processor stands in for it. */
  const confirm = (id: string, clientSecret: string, paymentMethodId: string) =>
    t.anonymous.post(`/payment/simulated/payment-intent/${id}/confirm`, { paymentMethodId, clientSecret });
  const poll = (id: string) => user.get(`/payment/payment-intent/${id}`);

  async function start(orderId = newOrder()) {
    const started = await app.startBrowserPayment({ amount: 2500, currency: 'usd', orderId });
    assert.equal(started.success, true, JSON.stringify(started.response.body));
    const data = started.response.body.data;
    return { orderId, id: data.paymentIntentId as string, clientSecret: started.clientSecret!, data };
  }

  it('create → confirm with a test card → succeeded, recorded when polled, the Order Service notified once', async () => {
    const { orderId, id, clientSecret, data } = await start();
    assert.equal(data.status, 'requires_payment_method');
    assert.equal(data.payment_intent_id, id);
    assert.equal(data.client_secret, clientSecret);
    assert.match(clientSecret, new RegExp(`^${id}_secret_`));
    const [payment] = await row(orderId);
    assert.deepEqual({ ...payment, id: 'row' }, { id: 'row', status: 'requires_payment_method', payment_method_id: null, processor_payment_intent_id: id });

    // The page reloads and asks again: the same intent, nothing new at the processor.
    const again = await app.startBrowserPayment({ amount: 2500, currency: 'usd', orderId });
    assert.deepEqual([again.response.body.data.paymentIntentId, again.clientSecret], [id, clientSecret]);
    assert.equal((await intentsAtProcessor(orderId)).length, 1);

    const confirmed = await confirm(id, clientSecret, await newCard('tok_visa'));
    assert.deepEqual([confirmed.status, confirmed.body.data.status], [200, 'succeeded']);
    // The service learns it as it would from Stripe: when the payment is polled (or the webhook arrives).
    const polled = await poll(id);
    assert.deepEqual([polled.body.data.status, polled.body.data.amount_received, polled.body.data.payment_method_id], ['succeeded', 2500, null]);
    assert.deepEqual(await history(payment!.id), ['->unknown', 'unknown>requires_payment_method', 'requires_payment_method>succeeded']);
    await assertNotifiedOnce(t.app, orderId);

    // One payment per order: paid now.
    const second = await app.startBrowserPayment({ amount: 2500, currency: 'usd', orderId });
    assert.deepEqual([second.response.status, second.response.body.code], [409, 'order_already_paid']);
    assert.equal((await poll(id)).body.data.status, 'succeeded');
    await assertNotifiedOnce(t.app, orderId);
  });

  it('a declining card → requires_payment_method, and the order is still payable with another card', async () => {
    const { orderId, id, clientSecret } = await start();
    const declined = await confirm(id, clientSecret, await newCard('tok_chargeDeclined'));
    assert.deepEqual([declined.status, declined.body.code, declined.body.decline_code, declined.body.payment_intent_id], [402, 'card_declined', 'generic_decline', id]);
    const polled = await poll(id);
    assert.equal(polled.body.data.status, 'requires_payment_method');
    assert.equal(polled.body.data.last_payment_error.decline_code, 'generic_decline');
    await t.app.services.relay!.runOnce();
    assert.equal(orderService.received().filter((c) => c.orderId === orderId).length, 0, 'a decline is not news to the Order Service');

    // Asked again, the same intent and secret: the browser tries another card on it.
    const again = await app.startBrowserPayment({ amount: 2500, currency: 'usd', orderId });
    assert.deepEqual([again.response.status, again.response.body.data.paymentIntentId, again.clientSecret], [200, id, clientSecret]);
    const paid = await confirm(id, clientSecret, await newCard('tok_visa'));
    assert.equal(paid.body.data.status, 'succeeded');
    assert.equal((await poll(id)).body.data.status, 'succeeded');
    assert.deepEqual((await intentsAtProcessor(orderId)).map((pi) => pi.status), ['succeeded']);
    await assertNotifiedOnce(t.app, orderId);
  });

  it('3-D Secure through the simulated page: requires_action, Complete, succeeded', async () => {
    const { orderId, id, clientSecret } = await start();
    const confirmed = await confirm(id, clientSecret, await newCard('tok_authenticationRequired'));
    assert.equal(confirmed.body.data.status, 'requires_action');
    const page: string = confirmed.body.data.nextAction.use_stripe_sdk.stripe_js;
    assert.match(page, new RegExp(`/payment/simulated/3ds/${id}\\?challenge=`));
    assert.equal((await poll(id)).body.data.status, 'requires_action');
    const shown = await t.app.inject({ method: 'GET', url: page });
    assert.equal(shown.statusCode, 200);
    const finished = await t.app.inject({ method: 'POST', url: page, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=complete' });
    assert.equal(finished.statusCode, 200);
    assert.equal((await poll(id)).body.data.status, 'succeeded');
    await assertNotifiedOnce(t.app, orderId);
  });

  it('a payment with a saved card for the order cancels the waiting intent first: one charge', async () => {
    const { orderId, id, clientSecret } = await start();
    const card = await newCard('tok_visa');
    assert.equal((await user.post('/payment/payment-method', { customerId, paymentMethodId: card })).status, 201);
    const paid = await user.post('/payment/payment-intent', { orderId, amount: 2500, currency: 'usd', customerId, paymentMethodId: card });
    assert.deepEqual([paid.status, paid.body.data.status], [200, 'succeeded'], JSON.stringify(paid.body));
    const rows = await row(orderId);
    assert.deepEqual(rows.map((r) => [r.processor_payment_intent_id, r.status]), [[id, 'canceled'], [paid.body.data.paymentIntentId, 'succeeded']]);
    // The browser, late, can no longer pay the canceled intent.
    const late = await confirm(id, clientSecret, await newCard('tok_visa'));
    assert.deepEqual([late.status, late.body.code], [409, 'invalid_state']);
    assert.deepEqual((await intentsAtProcessor(orderId)).map((pi) => pi.status).sort(), ['canceled', 'succeeded']);
    await assertNotifiedOnce(t.app, orderId);
  });

  it('refuses what it cannot act on, with the field to fix', async () => {
    const { id } = await start();
    const wrongSecret = await confirm(id, `${id}_secret_wrong`, await newCard('tok_visa'));
    assert.deepEqual([wrongSecret.status, wrongSecret.body.code], [404, 'payment_intent_not_found']);
    const unknownIntent = await confirm('pi_nothere', 'pi_nothere_secret_x', await newCard('tok_visa'));
    assert.deepEqual([unknownIntent.status, unknownIntent.body.code], [404, 'payment_intent_not_found']);

    const noOrder = await user.post('/payment/payment-intent', { amount: 2500, currency: 'usd' });
    assert.deepEqual([noOrder.status, noOrder.body.param], [400, 'orderId']);
    const withReturnUrl = await user.post('/payment/payment-intent', { amount: 2500, currency: 'usd', orderId: newOrder(), returnUrl: 'https://example.com/done' });
    assert.deepEqual([withReturnUrl.status, withReturnUrl.body.param], [400, 'returnUrl']);
    const dollars = await user.post('/payment/payment-intent', { amount: 25.5, currency: 'usd', orderId: newOrder() });
    assert.deepEqual([dollars.status, dollars.body.code, dollars.body.suggested_amount], [400, 'invalid_amount', 2550]);

    // A service token names the customer: without one it is 400 naming customerId.
    const order = t.anonymous.withToken(await serviceToken(t.jwks!.key, 'microservice_order_client', ['order.read', 'order.write']));
    const nameless = await order.post('/payment/payment-intent', { amount: 2500, currency: 'usd', orderId: newOrder() });
    assert.deepEqual([nameless.status, nameless.body.param], [400, 'customerId']);
    const named = await order.post('/payment/payment-intent', { amount: 2500, currency: 'usd', orderId: newOrder(), customerId });
    assert.deepEqual([named.status, named.body.data.status], [200, 'requires_payment_method']);
    // A user token acts only for its own customer.
    const stranger = t.anonymous.withToken(await platformUserToken(uniqueEmail('stranger')));
    const foreign = await stranger.post('/payment/payment-intent', { amount: 2500, currency: 'usd', orderId: newOrder(), customerId });
    assert.deepEqual([foreign.status, foreign.body.code], [404, 'customer_not_found']);
  });

  it('another amount for the same order replaces the waiting intent: the old one is canceled, the new one answered', async () => {
    const { orderId, id, clientSecret } = await start();
    const changed = await app.startBrowserPayment({ amount: 3100, currency: 'usd', orderId });
    assert.equal(changed.response.status, 200, JSON.stringify(changed.response.body));
    const replacement = changed.response.body.data.paymentIntentId;
    assert.notEqual(replacement, id);
    assert.deepEqual((await row(orderId)).map((r) => [r.processor_payment_intent_id, r.status]), [[id, 'canceled'], [replacement, 'requires_payment_method']]);
    const late = await confirm(id, clientSecret, await newCard('tok_visa'));
    assert.deepEqual([late.status, late.body.code], [409, 'invalid_state']);
  });

  it('a waiting intent abandoned for a day is canceled by the reconciler, freeing its order', async () => {
    const { orderId, id } = await start();
    await t.db.query("UPDATE payments SET created_at = now() - interval '25 hours', updated_at = now() - interval '25 hours' WHERE order_id = $1", [orderId]);
    await t.app.services.reconciler.runOnce();
    assert.equal((await row(orderId))[0]?.status, 'canceled');
    assert.deepEqual(await intentsAtProcessor(orderId), [{ id, status: 'canceled' }]);
    const anew = await app.startBrowserPayment({ amount: 2500, currency: 'usd', orderId });
    assert.equal(anew.response.status, 200);
    assert.notEqual(anew.response.body.data.paymentIntentId, id);
  });

  it('the reconciler refreshes a waiting intent the browser confirmed, without a poll', async () => {
    const { orderId, id, clientSecret } = await start();
    await confirm(id, clientSecret, await newCard('tok_visa'));
    await t.db.query("UPDATE payments SET updated_at = now() - interval '1 hour' WHERE order_id = $1", [orderId]);
    await t.app.services.reconciler.runOnce();
    assert.equal((await row(orderId))[0]?.status, 'succeeded');
  });
});

describe('Stripe\'s browser-confirmed payment against the Stripe test server', () => {
  let t: StripeTestApp;
  before(async () => {
    t = await startStripeTestApp({ env: notifying() });
  });
  after(() => t.close());

  it('creates the intent unconfirmed, Stripe.js confirms it, the poll records succeeded', async () => {
    const customerId = (await t.api.post('/payment/customer', { name: 'Jane Roe', email: uniqueEmail('stripe-browser') })).body.customerId;
    const orderId = newOrder();
    t.stripe.requests.length = 0;
    const started = await t.api.post('/payment/payment-intent', { amount: 2500, currency: 'usd', orderId, customerId });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const { paymentIntentId: id, clientSecret, status } = started.body.data;
    assert.equal(status, 'requires_payment_method');
    const [create] = t.stripe.requestsFor('payment_intents.create');
    const { rows } = await t.db.query<{ id: string }>('SELECT id FROM payments WHERE order_id = $1', [orderId]);
    assert.equal(create!.idempotencyKey, `pi-create:${rows[0]!.id}`);
    assert.deepEqual(create!.params, {
      amount: '2500',
      currency: 'usd',
      customer: customerId,
      expand: ['latest_charge'],
      metadata: { payment_id: rows[0]!.id, customer_id: customerId, order_id: orderId },
      description: `CommuneDrop order ${orderId}`,
      automatic_payment_methods: { enabled: 'true', allow_redirects: 'never' },
    });

    const declined = await stripeJsConfirm(t.stripe)(clientSecret, await t.newCard('tok_chargeDeclined'));
    assert.equal(declined.error?.code, 'card_declined');
    assert.equal((await t.api.get(`/payment/payment-intent/${id}`)).body.data.status, 'requires_payment_method');
    const confirmed = await stripeJsConfirm(t.stripe)(clientSecret, await t.newCard('tok_visa'));
    assert.equal(confirmed.paymentIntent?.status, 'succeeded');
    const polled = await t.api.get(`/payment/payment-intent/${id}`);
    assert.deepEqual([polled.body.data.status, polled.body.data.amount_received], ['succeeded', 2500]);
    await assertNotifiedOnce(t.app, orderId);
  });
});
