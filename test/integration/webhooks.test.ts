import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { webhookSecrets } from '../../src/config-webhooks.js';
import { STRIPE_WEBHOOK_PATH } from '../../src/processors/processor-events.js';
import { SimulatedProcessor } from '../../src/processors/simulated/simulated-processor.js';
import { signStripePayload } from '../../src/processors/stripe/webhook-signature.js';
import { startService, type RunningService } from '../../src/service.js';
import type { Database } from '../../src/store/database.js';
import { createCustomer, pay, payAwaitingAuthentication, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { TEST_DATABASE_URL, TEST_DB } from '../helpers/database.js';
import { adminToken, TEST_JWT_SECRET } from '../helpers/tokens.js';
import { startStripeTestApp, type StripeTestApp } from '../stripe-server/stripe-test-app.js';
import { AuthTokenEndpoint } from '../stubs/auth-token-endpoint.js';
import { OrderServiceStub } from '../stubs/order-service.js';

/** A Stripe Event around `object`, as Stripe sends it. */
function stripeEvent(type: string, object: Record<string, unknown>, id = `evt_${randomBytes(12).toString('hex')}`) {
  return { id, object: 'event', api_version: null, created: Math.floor(Date.now() / 1000), type, data: { object }, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null } };
}

/** Posts an event as Stripe does: the exact bytes signed in Stripe-Signature (`timestamp`: when it was signed). */
async function postEvent(t: TestApp, event: unknown, secret: string, timestamp?: number, headers: Record<string, string> = {}) {
  const payload = JSON.stringify(event);
  const response = await t.app.inject({
    method: 'POST',
    url: STRIPE_WEBHOOK_PATH,
    headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signStripePayload(payload, secret, timestamp), ...headers },
    payload,
  });
  return { status: response.statusCode, body: JSON.parse(response.body) };
}

async function storedEvent(db: Database, id: string) {
  const { rows } = await db.query<{ type: string; object_id: string | null; processed_at: Date | null; outcome: string | null }>(
    'SELECT type, object_id, processed_at, outcome FROM webhook_events WHERE id = $1',
    [id],
  );
  return rows[0];
}

async function paymentRow(db: Database, processorId: string) {
  const { rows } = await db.query<{ id: string; status: string; order_id: string | null }>(
    'SELECT id, status, order_id FROM payments WHERE processor_payment_intent_id = $1',
    [processorId],
  );
  return rows[0]!;
}

async function historyOf(db: Database, paymentId: string) {
  const { rows } = await db.query<{ from_status: string | null; to_status: string; source: string }>(
    'SELECT from_status, to_status, source FROM payment_events WHERE payment_id = $1 ORDER BY id',
    [paymentId],
  );
  return rows.map((row) => `${row.from_status ?? '-'}→${row.to_status} (${row.source})`);
}

/** Waits until the simulated processor has sent its events and the service has processed them. */
async function eventsSettled(t: TestApp) {
  for (let round = 0; round < 3; round++) {
    await (t.processor as SimulatedProcessor).delivery?.idle();
    await t.app.services.webhooks.settled();
  }
}

/** The simulated processor's own events about one object, oldest first. */
async function simulatedEventsOf(db: Database, objectId: string) {
  const { rows } = await db.query<{ data: { id: string; type: string; data: { object: { id: string } } } }>(
    'SELECT data FROM simulated_processor_events ORDER BY seq',
  );
  return rows.map((row) => row.data).filter((event) => event.data.object.id === objectId);
}

describe('webhooks: Stripe\'s events in (simulated processor)', () => {
  let t: TestApp;
  let secret: string;
  before(async () => {
    t = await startTestApp();
    secret = webhookSecrets(t.config)[0]!;
  });
  after(() => t.close());

  it('refuses a bad signature with 400 and stores nothing', async () => {
    const event = stripeEvent('payment_intent.succeeded', { id: 'pi_forged', object: 'payment_intent', status: 'succeeded' });
    const forged = await postEvent(t, event, 'whsec_notTheEndpointsSecret');
    assert.equal(forged.status, 400);
    assert.equal(forged.body.success, false);
    assert.equal(forged.body.code, 'webhook_signature_invalid');
    assert.match(forged.body.message, /STRIPE_WEBHOOK_SECRET/);
    const unsigned = await t.app.inject({ method: 'POST', url: STRIPE_WEBHOOK_PATH, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(event) });
    assert.equal(unsigned.statusCode, 400);
    assert.match(JSON.parse(unsigned.body).message, /Stripe-Signature header is missing/);
    // The signature is over the exact bytes: the same event sent re-serialized is refused too.
    const payload = JSON.stringify(event);
    const altered = await t.app.inject({
      method: 'POST',
      url: STRIPE_WEBHOOK_PATH,
      headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(payload, secret) },
      payload: JSON.stringify(event, null, 2),
    });
    assert.equal(altered.statusCode, 400);
    assert.equal(await storedEvent(t.db, event.id), undefined);
  });

  it('refuses a stale timestamp (more than 300 s old) with 400, even correctly signed', async () => {
    const event = stripeEvent('payment_intent.succeeded', { id: 'pi_stale', object: 'payment_intent', status: 'succeeded' });
    const stale = await postEvent(t, event, secret, Math.floor(Date.now() / 1000) - 301);
    assert.equal(stale.status, 400);
    assert.equal(stale.body.code, 'webhook_signature_invalid');
    assert.match(stale.body.message, /300 seconds/);
    assert.equal(await storedEvent(t.db, event.id), undefined);
    const recent = await postEvent(t, event, secret, Math.floor(Date.now() / 1000) - 250);
    assert.equal(recent.status, 200, 'within the tolerance it is accepted');
  });

  it('stores and ignores an event about an object this service does not know (and a type it does not handle)', async () => {
    const unknownIntent = stripeEvent('payment_intent.succeeded', {
      id: 'pi_notOurs', object: 'payment_intent', amount: 999, amount_capturable: 0, amount_received: 999, currency: 'usd', customer: null,
      payment_method: null, status: 'succeeded', capture_method: 'automatic', client_secret: null, description: null, metadata: {},
      next_action: null, last_payment_error: null, latest_charge: null, created: 1, canceled_at: null, cancellation_reason: null,
    });
    const unknownRefund = stripeEvent('refund.created', { id: 're_notOurs', object: 'refund', amount: 100, currency: 'usd', payment_intent: 'pi_notOurs', reason: null, status: 'succeeded', metadata: {}, created: 1 });
    const otherType = stripeEvent('customer.created', { id: 'cus_whoever', object: 'customer' });
    for (const event of [unknownIntent, unknownRefund, otherType]) {
      // Open: Stripe sends no bearer token, and a token that is there (even a bad one) changes nothing.
      const answer = await postEvent(t, event, secret, undefined, event === otherType ? { authorization: 'Bearer not-a-jwt' } : {});
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.body, { success: true, data: { eventId: event.id, type: event.type, duplicate: false } });
    }
    await t.app.services.webhooks.settled();
    for (const event of [unknownIntent, unknownRefund, otherType]) {
      const stored = await storedEvent(t.db, event.id);
      assert.equal(stored?.outcome, 'ignored', event.type);
      assert.ok(stored?.processed_at instanceof Date);
    }
    assert.equal((await storedEvent(t.db, unknownIntent.id))?.object_id, 'pi_notOurs');
    const { rows } = await t.db.query("SELECT 1 FROM payments WHERE processor_payment_intent_id = 'pi_notOurs' UNION ALL SELECT 1 FROM refunds WHERE processor_refund_id = 're_notOurs'");
    assert.equal(rows.length, 0, 'nothing is made up from an unknown object');
  });

  it('processes a duplicate event once: the second delivery is answered 200 duplicate and changes nothing', async () => {
    const { id } = await payAwaitingAuthentication(t.api);
    const payment = await paymentRow(t.db, id);
    await finishChallenge(t, id);
    const [succeeded] = (await simulatedEventsOf(t.db, id)).filter((e) => e.type === 'payment_intent.succeeded');
    const first = await postEvent(t, succeeded, secret);
    const second = await postEvent(t, succeeded, secret);
    assert.deepEqual([first.status, first.body.data.duplicate, second.status, second.body.data.duplicate], [200, false, 200, true]);
    await t.app.services.webhooks.settled();
    assert.equal((await paymentRow(t.db, id)).status, 'succeeded');
    assert.deepEqual(await historyOf(t.db, payment.id), ['-→unknown (request)', 'unknown→requires_action (request)', 'requires_action→succeeded (webhook)']);
    const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events WHERE id = $1', [succeeded!.id]);
    assert.equal(rows[0]!.n, 1);
  });

  it('never moves a payment backwards: events out of order, late and stale, leave it as the processor has it', async () => {
    const { id } = await payAwaitingAuthentication(t.api);
    const payment = await paymentRow(t.db, id);
    await finishChallenge(t, id);
    const events = await simulatedEventsOf(t.db, id);
    assert.deepEqual(events.map((e) => e.type), ['payment_intent.requires_action', 'payment_intent.succeeded']);
    // The later event first, then the earlier one: the payment stays succeeded.
    for (const event of [...events].reverse()) assert.equal((await postEvent(t, event, secret)).status, 200);
    await t.app.services.webhooks.settled();
    assert.equal((await paymentRow(t.db, id)).status, 'succeeded');
    // A stale failure snapshot of a payment that succeeded is no reason to move it either.
    const staleFailure = stripeEvent('payment_intent.payment_failed', { ...events[0]!.data.object, status: 'requires_payment_method', last_payment_error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' } });
    assert.equal((await postEvent(t, staleFailure, secret)).status, 200);
    await t.app.services.webhooks.settled();
    assert.equal((await paymentRow(t.db, id)).status, 'succeeded');
    assert.deepEqual(await historyOf(t.db, payment.id), ['-→unknown (request)', 'unknown→requires_action (request)', 'requires_action→succeeded (webhook)']);

    // Refunds likewise: refund.updated (succeeded) before refund.created (pending) leaves it succeeded.
    const paid = await paidOrder(t);
    const refund = await t.api.post('/payment/refund', { paymentIntentId: paid.id, amount: 700 });
    assert.equal(refund.status, 200);
    const refundId: string = refund.body.data.refund_id ?? refund.body.data.id;
    const [created] = (await simulatedEventsOf(t.db, refundId)).filter((e) => e.type === 'refund.created');
    assert.ok(created, 'the simulated processor records refund.created');
    const laterPending = stripeEvent('refund.updated', { ...created!.data.object, status: 'pending' });
    assert.equal((await postEvent(t, laterPending, secret)).status, 200);
    await t.app.services.webhooks.settled();
    const { rows } = await t.db.query<{ status: string }>('SELECT status FROM refunds WHERE processor_refund_id = $1', [refundId]);
    assert.deepEqual(rows.map((r) => r.status), ['succeeded']);
  });

  it('an event stored but never processed (a crash after the commit) is processed by the reconciler', async () => {
    const { id } = await payAwaitingAuthentication(t.api);
    await finishChallenge(t, id);
    const [succeeded] = (await simulatedEventsOf(t.db, id)).filter((e) => e.type === 'payment_intent.succeeded');
    // As the endpoint stores it, without the processing that a crash would have cut short.
    await t.db.query('INSERT INTO webhook_events (id, type, object_id, payload, received_at) VALUES ($1, $2, $3, $4, now() - interval \'10 seconds\')', [
      succeeded!.id, succeeded!.type, id, JSON.stringify(succeeded),
    ]);
    assert.equal((await paymentRow(t.db, id)).status, 'requires_action');
    const report = await t.app.services.reconciler.runOnce();
    assert.ok(report.events >= 1);
    assert.equal((await storedEvent(t.db, succeeded!.id))?.outcome, 'applied');
    assert.equal((await paymentRow(t.db, id)).status, 'succeeded');
    const history = await historyOf(t.db, (await paymentRow(t.db, id)).id);
    assert.equal(history.at(-1), 'requires_action→succeeded (webhook)');
  });

  it('a dispute is recorded and the payment left as it is', async () => {
    const paid = await paidOrder(t);
    const dispute = stripeEvent('charge.dispute.created', { id: 'dp_test1', object: 'dispute', amount: 2500, currency: 'usd', charge: 'ch_test1', payment_intent: paid.id, reason: 'fraudulent', status: 'needs_response' });
    assert.equal((await postEvent(t, dispute, secret)).status, 200);
    await t.app.services.webhooks.settled();
    assert.equal((await storedEvent(t.db, dispute.id))?.outcome, 'recorded');
    assert.equal((await paymentRow(t.db, paid.id)).status, 'succeeded');
  });
});

describe('webhooks: the simulated processor sends its own events to the endpoint', () => {
  let t: TestApp;
  let orderService: OrderServiceStub;
  let tokenEndpoint: AuthTokenEndpoint;
  before(async () => {
    orderService = await OrderServiceStub.start();
    tokenEndpoint = await AuthTokenEndpoint.start();
    t = await startTestApp({ deliverEvents: true, env: { ORDER_SERVICE_URL: orderService.url, OUTBOX_SWEEP_INTERVAL_MS: '0', ...tokenEndpoint.env() } });
  });
  after(async () => {
    await t.close();
    await orderService.close();
    await tokenEndpoint.close();
  });

  it('a requires_action payment completed by webhook notifies the Order Service once', async () => {
    const { id, orderId } = await payAwaitingAuthentication(t.api);
    const payment = await paymentRow(t.db, id);
    assert.equal(payment.status, 'requires_action');
    // The customer passes 3-D Secure on the page; nobody polls the payment afterwards.
    await finishChallenge(t, id);
    await eventsSettled(t);
    assert.equal((await paymentRow(t.db, id)).status, 'succeeded', 'the webhook finished the payment');
    assert.deepEqual((await historyOf(t.db, payment.id)).slice(-1), ['requires_action→succeeded (webhook)']);
    // Its two events (requires_action, succeeded) were both processed; which moved what depends on timing, as with Stripe.
    const { rows } = await t.db.query<{ type: string; outcome: string }>('SELECT type, outcome FROM webhook_events WHERE object_id = $1 ORDER BY type', [id]);
    assert.deepEqual(rows.map((r) => r.type), ['payment_intent.requires_action', 'payment_intent.succeeded']);
    assert.ok(rows.every((r) => r.outcome === 'applied' || r.outcome === 'unchanged'), JSON.stringify(rows));

    // Stripe sends again, the reconciler runs, the client polls: still one success.
    const [succeeded] = (await simulatedEventsOf(t.db, id)).filter((e) => e.type === 'payment_intent.succeeded');
    assert.equal((await postEvent(t, succeeded, webhookSecrets(t.config)[0]!)).body.data.duplicate, true);
    await t.app.services.reconciler.runOnce();
    assert.equal((await t.api.get(`/payment/payment-intent/${id}`)).body.data.status, 'succeeded');
    await eventsSettled(t);
    const successes = (await historyOf(t.db, payment.id)).filter((line) => line.includes('→succeeded'));
    assert.equal(successes.length, 1);
    // The Order Service hears of the order from the outbox: exactly one PUT /updateStatus.
    await t.app.services.relay!.runOnce();
    const told = orderService.received().filter((c) => c.orderId === orderId);
    assert.deepEqual(told.map((c) => c.body), [{ orderId, status: 'PAYMENT RECEIVED' }], 'one notification for the order');
  });

  it('every event it makes is delivered and recorded, each once', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const paid = await pay(t.api, customerId, card);
    const id: string = paid.body.data.payment_intent_id;
    await t.api.post('/payment/refund', { paymentIntentId: id, amount: 500 });
    await eventsSettled(t);
    const { rows } = await t.db.query<{ type: string; outcome: string }>(
      `SELECT w.type, w.outcome FROM webhook_events w JOIN simulated_processor_events s ON s.id = w.id
       WHERE s.data->'data'->'object'->>'payment_intent' = $1 OR s.data->'data'->'object'->>'id' = $1 ORDER BY s.seq`,
      [id],
    );
    assert.deepEqual(rows.map((r) => r.type), ['payment_intent.succeeded', 'charge.refunded', 'refund.created']);
    assert.ok(rows.every((r) => r.outcome !== null), 'all processed');
    const undelivered = await t.db.query('SELECT 1 FROM simulated_processor_events WHERE delivered_at IS NULL');
    assert.equal(undelivered.rows.length, 0);
  });
});

describe('webhooks: the service as npm start runs it sends the simulated processor\'s events to itself over HTTP', () => {
  let service: RunningService;
  let authorization: string;
  const schema = `test_webhooks_${randomBytes(4).toString('hex')}`;
  before(async () => {
    const database = TEST_DB === 'postgres' ? { DATABASE_URL: TEST_DATABASE_URL, DATABASE_SCHEMA: schema } : { DATA_DIR: 'memory://' };
    // No STRIPE_WEBHOOK_SECRET, no SIMULATED_WEBHOOKS: what a first `npm start` has.
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, PORT: '0', HOST: '127.0.0.1', RECONCILE_INTERVAL_MS: '0', ...database });
    service = await startService(config);
    authorization = `Bearer ${await adminToken()}`;
  });
  after(async () => {
    if (TEST_DB === 'postgres') await service.db.query(`DROP SCHEMA ${schema} CASCADE`);
    await service.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${service.url}${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('a payment finished on the 3-D Secure page is succeeded by its event, nobody polling', async () => {
    const customerId = (await call('POST', '/payment/customer', { email: `hook-${randomBytes(4).toString('hex')}@example.com`, name: 'Ann' })).body.data.customerId;
    const card = (await call('POST', '/payment/payment-method', { customerId, paymentMethodId: 'pm_card_authenticationRequired' })).body.data.payment_method_id;
    const paid = await call('POST', '/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId: `order_${randomBytes(4).toString('hex')}` });
    assert.equal(paid.body.data.status, 'requires_action');
    const id: string = paid.body.data.payment_intent_id;
    const page: string = paid.body.data.next_action.use_stripe_sdk?.stripe_js ?? paid.body.data.next_action.redirect_to_url.url;
    const finished = await fetch(page, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'outcome=complete', redirect: 'manual' });
    assert.ok(finished.status === 200 || finished.status === 303);
    const deadline = Date.now() + 10_000;
    while ((await paymentRow(service.db, id)).status !== 'succeeded' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const payment = await paymentRow(service.db, id);
    assert.equal(payment.status, 'succeeded', 'the event came back over HTTP and finished it');
    assert.equal((await historyOf(service.db, payment.id)).at(-1), 'requires_action→succeeded (webhook)');
    const { rows } = await service.db.query<{ type: string }>('SELECT type FROM webhook_events WHERE object_id = $1 ORDER BY received_at', [id]);
    assert.deepEqual(rows.map((r) => r.type).sort(), ['payment_intent.requires_action', 'payment_intent.succeeded']);
  });
});

describe('webhooks: the Stripe test server sends events over HTTP, signed with one of two secrets', () => {
  let t: StripeTestApp;
  let url: string;
  before(async () => {
    t = await startStripeTestApp({ env: { STRIPE_WEBHOOK_SECRET: 'whsec_newSecretBeingRolledIn, whsec_oldSecretStillValid\n' } });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    // Stripe signs with the old secret until the rotation is over: either is accepted.
    t.stripe.sendEventsTo(`${url}${STRIPE_WEBHOOK_PATH}`, 'whsec_oldSecretStillValid');
  });
  after(() => t.close());

  async function settled() {
    for (let round = 0; round < 3; round++) {
      await t.stripe.eventsSent();
      await t.app.services.webhooks.settled();
    }
  }

  it('a refund made in Stripe\'s Dashboard shows up in our records, and what is left to refund is right', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, await t.newCard());
    const id: string = (await pay(t.api, customerId, card)).body.data.payment_intent_id;
    const dashboard = await t.stripe.dashboardRefund(id, 1000);
    await settled();
    const listed = await t.api.get(`/payment/refunds?paymentIntentId=${id}`);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data.length, 1);
    const { rows } = await t.db.query<{ amount: number; status: string; processor_refund_id: string }>(
      'SELECT r.amount::int AS amount, r.status, r.processor_refund_id FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.processor_payment_intent_id = $1',
      [id],
    );
    assert.deepEqual(rows, [{ amount: 1000, status: 'succeeded', processor_refund_id: dashboard.id }]);
    assert.equal((await t.api.get(`/payment/payment-intent/${id}`)).body.data.amount_refunded, 1000);
    // Only the rest can be refunded here now; refunding more than that is refused before Stripe is asked.
    const tooMuch = await t.api.post('/payment/refund', { paymentIntentId: id, amount: 1600 });
    assert.equal(tooMuch.status, 400);
    assert.equal(tooMuch.body.amount_remaining, 1500);
    const rest = await t.api.post('/payment/refund', { paymentIntentId: id });
    assert.equal(rest.status, 200);
    assert.equal(rest.body.data.amount, 1500);
  });

  it('a payment finished after 3-D Secure at Stripe is finished here by its event', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, await t.newCard('tok_authenticationRequired'));
    const answer = await pay(t.api, customerId, card);
    const id: string = answer.body.data.payment_intent_id;
    assert.equal(answer.body.data.status, 'requires_action');
    await t.stripe.completeAuthentication(id);
    await settled();
    const payment = await paymentRow(t.db, id);
    assert.equal(payment.status, 'succeeded');
    assert.equal((await historyOf(t.db, payment.id)).at(-1), 'requires_action→succeeded (webhook)');
  });

  it('an event signed with neither secret is refused', async () => {
    const payload = JSON.stringify(stripeEvent('payment_intent.succeeded', { id: 'pi_x', object: 'payment_intent' }));
    const response = await fetch(`${url}${STRIPE_WEBHOOK_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signStripePayload(payload, 'whsec_someOtherEndpoint') },
      body: payload,
    });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { code: string }).code, 'webhook_signature_invalid');
  });
});

describe('webhooks: without a signing secret', () => {
  let t: StripeTestApp;
  before(async () => {
    t = await startStripeTestApp();
  });
  after(() => t.close());

  it('the endpoint answers 503 and says which variable to set, and never accepts an unsigned event', async () => {
    const event = stripeEvent('payment_intent.succeeded', { id: 'pi_x', object: 'payment_intent' });
    const answer = await postEvent(t, event, 'whsec_anything');
    assert.equal(answer.status, 503);
    assert.equal(answer.body.code, 'service_unavailable');
    assert.match(answer.body.message, /STRIPE_WEBHOOK_SECRET/);
    assert.equal(await storedEvent(t.db, event.id), undefined);
  });
});

/** Passes the 3-D Secure challenge of a payment on the simulated processor's page, as the customer's browser does. */
async function finishChallenge(t: TestApp, paymentIntentId: string) {
  const { rows } = await t.db.query<{ url: string }>(
    "SELECT COALESCE(next_action->'redirect_to_url'->>'url', next_action->'use_stripe_sdk'->>'stripe_js') AS url FROM payments WHERE processor_payment_intent_id = $1",
    [paymentIntentId],
  );
  const response = await t.app.inject({ method: 'POST', url: rows[0]!.url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'outcome=complete' });
  assert.ok(response.statusCode === 200 || response.statusCode === 303, `the challenge page answered ${response.statusCode}`);
}

/** A new customer's succeeded payment for a new order. */
async function paidOrder(t: TestApp) {
  const customerId = await createCustomer(t.api);
  const card = await saveCard(t.api, customerId);
  const answer = await pay(t.api, customerId, card);
  assert.equal(answer.body.data.status, 'succeeded');
  return { id: answer.body.data.payment_intent_id as string, orderId: answer.body.data.order_id as string | undefined };
}
