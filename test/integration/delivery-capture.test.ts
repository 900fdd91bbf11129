import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, saveCard, startTestApp, type Api, type TestApp } from '../helpers/app.js';
import { platformUserToken, serviceToken } from '../helpers/tokens.js';
import { AuthTokenEndpoint } from '../stubs/auth-token-endpoint.js';
import { DeliveryCheckStub } from '../stubs/delivery-check.js';
import { OrderServiceStub } from '../stubs/order-service.js';

const DAY_MS = 86_400_000;

async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The simulated processor's record of an intent: what it holds, captured or not. */
async function atProcessor(t: TestApp, paymentIntentId: string) {
  const { rows } = await t.db.query<{ status: string; amount_received: number; amount_capturable: number }>(
    `SELECT data->>'status' AS status, (data->>'amount_received')::int AS amount_received, (data->>'amount_capturable')::int AS amount_capturable
       FROM simulated_processor_objects WHERE type = 'payment_intent' AND id = $1`,
    [paymentIntentId],
  );
  return rows[0];
}

describe('capture after delivery, end to end over HTTP', () => {
  let t: TestApp;
  let orders: OrderServiceStub;
  let auth: AuthTokenEndpoint;
  let check: DeliveryCheckStub;
  let orderClient: Api;
  let customerId: string;
  let card: string;
  let clock = Date.now();

  before(async () => {
    orders = await OrderServiceStub.start();
    auth = await AuthTokenEndpoint.start();
    check = await DeliveryCheckStub.start();
    t = await startTestApp({
      jwks: true,
      now: () => new Date(clock),
      env: {
        ORDER_SERVICE_URL: orders.url,
        // Long enough that a loaded machine's slow answer is not a timeout, which would send it again.
        ORDER_SERVICE_TIMEOUT_MS: '3000',
        OUTBOX_BACKOFF_MAX_MS: '150',
        OUTBOX_SWEEP_INTERVAL_MS: '0',
        ORDER_STATUS_ON_FAILURE: 'CANCELLED',
        DELIVERY_CHECK_URL: check.url,
        LOCATION_SERVICE_TIMEOUT_MS: '300',
        ...auth.env(),
      },
    });
    orderClient = t.anonymous.withToken(await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.read order.write'));
    customerId = await createCustomer(t.api);
    card = await saveCard(t.api, customerId);
  });
  after(async () => {
    await t.close();
    await orders.down().catch(() => {});
    await auth.close();
    await check.close();
  });

  /** A quote, and a payment against it authorized to be captured on delivery, made as the web app pays: with the order client's token. */
  async function authorizeForDelivery(distanceKm = 3.2) {
    const quote = (await orderClient.post('/payment/delivery-fee', { distanceKm, vehicleType: 'BIKE' })).body.data;
    const orderId = `order_${randomBytes(6).toString('hex')}`;
    const created = await orderClient.post('/payment/payment-intent', {
      amount: quote.breakdown.total, currency: 'usd', customerId, paymentMethodId: card, orderId, quoteId: quote.quoteId, captureMethod: 'manual', captureOn: 'delivery',
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal(created.body.data.status, 'requires_capture');
    return { quote, orderId, id: created.body.data.payment_intent_id as string };
  }

  const event = (orderId: string, status: string) => orderClient.post('/payment/delivery-events', { orderId, status });

  it('quote → authorization with the quote → DELIVERED → captured at the processor, every step in the status', async () => {
    const { quote, orderId, id } = await authorizeForDelivery();
    assert.deepEqual(await atProcessor(t, id), { status: 'requires_capture', amount_received: 0, amount_capturable: 2944 });
    const before = (await t.api.get(`/payment/payment-intent/${id}`)).body.data;
    assert.deepEqual(before.delivery, { expected: true, delivered_at: null, delivered_by: null, events: [] });
    assert.equal(before.quote.quote_id, quote.quoteId);

    const picked = await event(orderId, 'PICKED UP');
    assert.equal(picked.status, 200, JSON.stringify(picked.body));
    assert.deepEqual([picked.body.data.action, picked.body.data.payment_status], ['recorded', 'requires_capture']);

    const delivered = await event(orderId, 'DELIVERED');
    assert.equal(delivered.status, 200, JSON.stringify(delivered.body));
    assert.deepEqual(delivered.body.data, { orderId, status: 'DELIVERED', action: 'captured', duplicate: false, payment_intent_id: id, payment_status: 'succeeded' });
    assert.deepEqual(await atProcessor(t, id), { status: 'succeeded', amount_received: 2944, amount_capturable: 0 });

    const after = (await t.api.get(`/payment/payment-intent/${id}`)).body.data;
    assert.equal(after.status, 'succeeded');
    assert.equal(after.amount_received, 2944);
    assert.equal(after.delivery.expected, true);
    assert.equal(after.delivery.delivered_by.source, 'event');
    assert.ok(after.delivery.delivered_at);
    assert.deepEqual(after.delivery.events.map((e: { status: string }) => e.status), ['PICKED UP', 'DELIVERED']);
    assert.equal(after.delivery.delivered_by.event_id, after.delivery.events[1].event_id);

    // The same event again changes nothing: no second capture, no second notification.
    const again = await event(orderId, 'DELIVERED');
    assert.equal(again.status, 200);
    assert.deepEqual([again.body.data.duplicate, again.body.data.action], [true, 'already_settled']);
    assert.deepEqual(await atProcessor(t, id), { status: 'succeeded', amount_received: 2944, amount_capturable: 0 });
    await eventually(() => orders.received().some((c) => c.orderId === orderId), 'the authorization\'s notification');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(orders.received().filter((c) => c.orderId === orderId).map((c) => c.status), ['PAYMENT RECEIVED']);
    const { rows } = await t.db.query<{ n: string }>('SELECT count(*)::text AS n FROM delivery_events WHERE order_id = $1', [orderId]);
    assert.equal(rows[0]!.n, '2');
    // Each report is in the audit log, with the order client as the actor.
    const audited = await t.db.query<{ actor: string }>(`SELECT actor FROM audit_log WHERE action = 'delivery.event' AND target->>'order_id' = $1`, [orderId]);
    assert.equal(audited.rows.length, 3);
    assert.equal(audited.rows[0]!.actor, 'microservice_order_client');
  });

  it('takes the same DELIVERED event twice at once as one capture', async () => {
    const { orderId, id } = await authorizeForDelivery();
    const answers = await Promise.all([event(orderId, 'DELIVERED'), event(orderId, 'DELIVERED')]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200], JSON.stringify(answers.map((a) => a.body)));
    // One of them captured; the other found it captured, or being captured, and says so.
    assert.ok(answers.every((a) => ['captured', 'already_settled'].includes(a.body.data.action)));
    assert.ok(answers.some((a) => a.body.data.action === 'captured'));
    assert.deepEqual(await atProcessor(t, id), { status: 'succeeded', amount_received: 2944, amount_capturable: 0 });
    assert.equal((await t.api.get(`/payment/payment-intent/${id}`)).body.data.status, 'succeeded');
  });

  it('CANCELLED releases the authorization, and the Order Service hears of it', async () => {
    const { orderId, id } = await authorizeForDelivery();
    const cancelled = await event(orderId, 'CANCELLED');
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.deepEqual([cancelled.body.data.action, cancelled.body.data.payment_status], ['released', 'canceled']);
    assert.equal((await atProcessor(t, id))!.status, 'canceled');
    assert.equal((await event(orderId, 'CANCELLED')).body.data.duplicate, true);
    // A late DELIVERED for a released authorization captures nothing.
    const late = await event(orderId, 'DELIVERED');
    assert.deepEqual([late.status, late.body.data.action], [200, 'already_settled']);
    assert.equal((await atProcessor(t, id))!.amount_received, 0);
    await eventually(() => orders.received().some((c) => c.orderId === orderId && c.status === 'CANCELLED'), 'the release\'s notification');
  });

  it('refuses a capture by hand before the delivery (409 delivery_not_completed), and allows it once the delivery check says DELIVERED', async () => {
    const { orderId, id } = await authorizeForDelivery();
    const early = await t.api.post(`/payment/payment-intent/${id}/capture`, {});
    assert.equal(early.status, 409, JSON.stringify(early.body));
    assert.equal(early.body.code, 'delivery_not_completed');
    assert.match(early.body.message, /the delivery check says OUT FOR DELIVERY/);
    assert.equal((await atProcessor(t, id))!.status, 'requires_capture');
    // The check carries a service token of scope order.read (client credentials are configured).
    const claims = JSON.parse(Buffer.from(check.calls.at(-1)!.authorization!.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.scope, 'order.read');

    check.failWith = 500;
    try {
      const down = await t.api.post(`/payment/payment-intent/${id}/capture`, {});
      assert.equal(down.status, 503);
      assert.equal(down.body.code, 'dependency_unavailable');
      assert.match(down.body.message, /delivery check \(DELIVERY_CHECK_URL\) answered 500/);
    } finally {
      check.failWith = null;
    }

    check.statuses.set(orderId, 'DELIVERED');
    const captured = await t.api.post(`/payment/payment-intent/${id}/capture`, {});
    assert.equal(captured.status, 200, JSON.stringify(captured.body));
    assert.equal(captured.body.data.status, 'succeeded');
    const status = (await t.api.get(`/payment/payment-intent/${id}`)).body.data;
    assert.equal(status.delivery.delivered_by.source, 'check');
  });

  it('answers 404 for an order without a payment captured on delivery, and refuses captureOn without manual capture', async () => {
    const missing = await event('order_without_payment', 'DELIVERED');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.code, 'order_not_found');
    const automatic = await orderClient.post('/payment/payment-intent', {
      amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId: `order_${randomBytes(4).toString('hex')}`, captureOn: 'delivery',
    });
    assert.equal(automatic.status, 400);
    assert.match(automatic.body.message, /captureOn "delivery" needs captureMethod "manual"/);
    // This app has no LOCATION_SERVICE_URL: a quote by address is the caller's to fix.
    const byAddress = await orderClient.post('/payment/delivery-fee', { fromAddress: 'a', toAddress: 'b', vehicleType: 'BIKE' });
    assert.deepEqual([byAddress.status, byAddress.body.code], [400, 'validation_failed']);
    assert.match(byAddress.body.message, /send distanceKm instead of the addresses/);
    const bad = await orderClient.post('/payment/delivery-events', { orderId: 'x', status: 'LOST' });
    assert.equal(bad.status, 400);
    // A customer never reports a delivery.
    const email = `rider-${randomBytes(4).toString('hex')}@example.com`;
    await createCustomer(t.api, email);
    const customer = t.anonymous.withToken(await platformUserToken(email));
    assert.equal((await customer.post('/payment/delivery-events', { orderId: 'x', status: 'DELIVERED' })).status, 403);
  });

  it('the watchdog lists authorizations near expiry without a delivery, and cancels them at expiry (injected clock)', async () => {
    const { orderId, id } = await authorizeForDelivery(1);
    const listed = async (window = '24h') =>
      ((await t.api.get(`/payment/admin/authorizations?expiring=${window}`)).body.data as Array<{ order_id: string }>).some((a) => a.order_id === orderId);
    assert.equal(await listed(), false);
    assert.equal(await listed('8d'), true);
    const start = clock;
    try {
      clock = start + 6.5 * DAY_MS;
      assert.equal(await listed(), true);
      const warned = await t.app.services.authorizationWatchdog.runOnce();
      assert.ok(warned.warned >= 1);
      assert.equal((await t.api.get(`/payment/payment-intent/${id}`)).body.data.status, 'requires_capture');

      clock = start + 7 * DAY_MS + 60_000;
      const swept = await t.app.services.authorizationWatchdog.runOnce();
      assert.ok(swept.canceled >= 1, JSON.stringify(swept));
    } finally {
      clock = start;
    }
    assert.equal((await t.api.get(`/payment/payment-intent/${id}`)).body.data.status, 'canceled');
    assert.equal((await atProcessor(t, id))!.status, 'canceled');
    assert.equal(await listed('8d'), false);
    await eventually(() => orders.received().some((c) => c.orderId === orderId && c.status === 'CANCELLED'), 'the lapse\'s notification');
  });
});
