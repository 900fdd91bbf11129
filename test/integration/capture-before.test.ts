import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { outcomeFromIntent } from '../../src/domain/payment-outcomes.js';
import { createCustomer, pay, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { startStripeTestApp, type StripeTestApp } from '../stripe-server/stripe-test-app.js';

const DAY = 24 * 60 * 60;

/**
 * An authorization's deadline is the processor's own: Stripe's is the latest charge's
 * `payment_method_details.card.capture_before` (it differs by card and network), read by expanding
 * `latest_charge`; only the simulated processor keeps the 7-day rule, and presents it there too.
 */
describe('capture_before, from the latest charge at the Stripe test server', () => {
  let t: StripeTestApp;
  before(async () => {
    // A deadline other than 7 days, so that reading it cannot be told apart from computing it.
    t = await startStripeTestApp({ env: { RECONCILE_GRACE_MS: '0' }, server: { authorizationValiditySeconds: 2 * DAY } });
  });
  after(() => t.close());

  const stripeCall = async (method: 'GET' | 'POST', path: string, body = '') => {
    const response = await fetch(`${t.stripe.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${t.stripe.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      ...(method === 'POST' ? { body } : {}),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const intentAtStripe = async (id: string) => (await t.stripe.objects<{ id: string; created: number }>('payment_intent')).find((pi) => pi.id === id)!;
  const rowDeadline = async (id: string) =>
    (await t.db.query<{ capture_before: Date | null }>('SELECT capture_before FROM payments WHERE processor_payment_intent_id = $1', [id])).rows[0]!.capture_before;

  it('the test server expands latest_charge only when asked, as Stripe does, with the card\'s capture_before', async () => {
    const customerId = await createCustomer(t.api);
    const paid = await pay(t.api, customerId, await saveCard(t.api, customerId, await t.newCard()), { captureMethod: 'manual' });
    const id: string = paid.body.data.payment_intent_id;
    const plain = await stripeCall('GET', `/v1/payment_intents/${id}`);
    assert.match(plain.body.latest_charge, /^ch_/, 'an id unless expanded');
    const expanded = await stripeCall('GET', `/v1/payment_intents/${id}?expand[]=latest_charge`);
    assert.equal(expanded.body.latest_charge.id, plain.body.latest_charge);
    assert.deepEqual(
      [expanded.body.latest_charge.object, expanded.body.latest_charge.captured, expanded.body.latest_charge.payment_method_details.type],
      ['charge', false, 'card'],
    );
    assert.equal(expanded.body.latest_charge.payment_method_details.card.capture_before, (await intentAtStripe(id)).created + 2 * DAY);
    const unknown = await stripeCall('GET', `/v1/payment_intents/${id}?expand[]=nothing_here`);
    assert.deepEqual([unknown.status, unknown.body.error.message], [400, 'This property cannot be expanded (nothing_here).']);
    // Captured: the charge is captured, and the intent has no deadline any more.
    const captured = await t.api.post(`/payment/payment-intent/${id}/capture`, {});
    assert.deepEqual([captured.body.data.status, captured.body.data.capture_before], ['succeeded', null]);
    assert.equal((await stripeCall('GET', `/v1/payment_intents/${id}?expand[0]=latest_charge`)).body.latest_charge.captured, true);
  });

  it('a manual-capture payment answers the deadline Stripe gives, read from the charge on creation', async () => {
    const customerId = await createCustomer(t.api);
    const paid = await pay(t.api, customerId, await saveCard(t.api, customerId, await t.newCard()), { captureMethod: 'manual' });
    assert.equal(paid.body.data.status, 'requires_capture');
    const id: string = paid.body.data.payment_intent_id;
    const deadline = new Date(((await intentAtStripe(id)).created + 2 * DAY) * 1000).toISOString();
    assert.equal(paid.body.data.capture_before, deadline);
    assert.equal((await rowDeadline(id))?.toISOString(), deadline);
    const create = t.stripe.requestsFor('payment_intents.create').at(-1)!;
    assert.deepEqual(create.params['expand'], ['latest_charge']);
  });

  it('an authorization made after 3-D Secure gets its deadline when the service retrieves the intent', async () => {
    const customerId = await createCustomer(t.api);
    const paid = await pay(t.api, customerId, await saveCard(t.api, customerId, 'pm_card_authenticationRequired'), { captureMethod: 'manual' });
    assert.equal(paid.body.data.status, 'requires_action');
    const id: string = paid.body.data.payment_intent_id;
    // The customer's browser finishes the payment at Stripe (here: confirms it with a card that needs no challenge).
    const confirmed = await stripeCall('POST', `/v1/payment_intents/${id}/confirm`, 'payment_method=pm_card_visa');
    assert.equal(confirmed.body.status, 'requires_capture');
    const polled = await t.api.get(`/payment/payment-intent/${id}`);
    assert.equal(polled.body.data.status, 'requires_capture');
    const deadline = new Date(((await intentAtStripe(id)).created + 2 * DAY) * 1000).toISOString();
    assert.equal(polled.body.data.capture_before, deadline);
    assert.equal((await rowDeadline(id))?.toISOString(), deadline);
    const retrieve = t.stripe.requestsFor('payment_intents.retrieve').filter((r) => r.path === `/v1/payment_intents/${id}`).at(-1)!;
    assert.deepEqual(retrieve.params['expand'], ['latest_charge']);
  });
});

describe('asking for the charge, across a deploy', () => {
  let t: StripeTestApp;
  before(async () => {
    t = await startStripeTestApp({ env: { RECONCILE_GRACE_MS: '0', STRIPE_MAX_NETWORK_RETRIES: '0' } });
  });
  after(() => t.close());

  it('a creation an earlier version sent without expand[] is found, not refused, when its key answers idempotency_error', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, await t.newCard());
    const orderId = `order_deploy_${Date.now()}`;
    t.stripe.answerNext(503, { method: 'POST', path: '/v1/payment_intents' });
    const lost = await pay(t.api, customerId, card, { orderId });
    assert.equal(lost.status, 503);
    const { rows } = await t.db.query<{ id: string }>('SELECT id FROM payments WHERE order_id = $1', [orderId]);
    const paymentId = rows[0]!.id;
    // What the earlier version sent with the same key: the same creation, without expand[].
    const earlier = await fetch(`${t.stripe.url}/v1/payment_intents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.stripe.secretKey}`, 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': `pi-create:${paymentId}` },
      body: new URLSearchParams({
        amount: '2500', currency: 'usd', customer: customerId, payment_method: card, confirm: 'true',
        'metadata[payment_id]': paymentId, 'metadata[customer_id]': customerId, 'metadata[order_id]': orderId,
        'automatic_payment_methods[enabled]': 'true', 'automatic_payment_methods[allow_redirects]': 'never',
      }).toString(),
    });
    const intent = (await earlier.json()) as { id: string; status: string };
    assert.equal(intent.status, 'succeeded');

    await t.app.services.reconciler.runOnce();
    const resent = t.stripe.requestsFor('payment_intents.create').filter((r) => r.idempotencyKey === `pi-create:${paymentId}`).at(-1)!;
    assert.equal(resent.status, 400, 'the key was first used without expand[]');
    const row = await t.db.query<{ status: string; processor_payment_intent_id: string }>('SELECT status, processor_payment_intent_id FROM payments WHERE id = $1', [paymentId]);
    assert.deepEqual(row.rows[0], { status: 'succeeded', processor_payment_intent_id: intent.id }, 'found by its metadata, never recorded as refused');
    const intents = (await t.stripe.objects<{ metadata: Record<string, string> }>('payment_intent')).filter((pi) => pi.metadata['payment_id'] === paymentId);
    assert.equal(intents.length, 1, 'charged once');
  });
});

describe('capture_before with the simulated processor', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('keeps the 7-day rule, presented in the latest charge as Stripe presents it', async () => {
    const customerId = await createCustomer(t.api);
    const paid = await pay(t.api, customerId, await saveCard(t.api, customerId), { captureMethod: 'manual' });
    const id: string = paid.body.data.payment_intent_id;
    const { rows } = await t.db.query<{ created: number; latest_charge: string }>(
      "SELECT (data->>'created')::int AS created, data->>'latest_charge' AS latest_charge FROM simulated_processor_objects WHERE id = $1",
      [id],
    );
    assert.match(rows[0]!.latest_charge, /^ch_/, 'the stored intent keeps the charge\'s id, as Stripe\'s events carry it');
    assert.equal(paid.body.data.capture_before, new Date((rows[0]!.created + 7 * DAY) * 1000).toISOString());
    assert.equal((await t.processor.retrievePaymentIntent(id)).captureBefore?.toISOString(), paid.body.data.capture_before);
  });

  it('an answer that does not carry the deadline (an event\'s intent is never expanded) does not forget it', async () => {
    const customerId = await createCustomer(t.api);
    const paid = await pay(t.api, customerId, await saveCard(t.api, customerId), { captureMethod: 'manual' });
    const id: string = paid.body.data.payment_intent_id;
    const payment = await t.app.services.payments.get(id);
    const intent = await t.processor.retrievePaymentIntent(id);
    await t.app.services.payments.record(payment, outcomeFromIntent({ ...intent, captureBefore: null }), 'reconciler');
    const details = await t.api.get(`/payment/payment-intent/${id}`);
    assert.equal(details.body.data.capture_before, paid.body.data.capture_before);
  });
});
