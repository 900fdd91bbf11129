/**
 * The Order Service hears of payments through the outbox: one PUT /updateStatus per successful
 * payment with the exact body and the paying request's token, failures only when configured,
 * nothing without ORDER_SERVICE_URL; through outages, errors, slowness and 429s every notification
 * arrives once, in order per order; an expired or refused token falls back to a service token; no
 * clear-text token is left in the database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { serviceToken } from '../helpers/tokens.js';
import { AuthTokenEndpoint } from '../stubs/auth-token-endpoint.js';
import { OrderServiceStub } from '../stubs/order-service.js';

const newOrder = () => `order_${randomBytes(6).toString('hex')}`;

/** Waits until `condition` holds, polling; fails with `what` after `timeoutMs`. */
async function eventually(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every text value of every table, to look for a token in the clear. */
async function everyStoredText(t: TestApp): Promise<string> {
  const { rows: tables } = await t.db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await t.db.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
    parts.push(...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

/** Fast retries that do not give up within a test. */
const quickRetries = (stub: OrderServiceStub, auth: AuthTokenEndpoint) => ({
  ORDER_SERVICE_URL: stub.url,
  // Well above a loaded machine's answer time: a call given up on while the stub still answers it
  // would be the one duplicate the outbox allows (the Order Service acted, the relay never heard).
  ORDER_SERVICE_TIMEOUT_MS: '1500',
  OUTBOX_BACKOFF_MAX_MS: '150',
  OUTBOX_MAX_ATTEMPTS: '1000',
  OUTBOX_SWEEP_INTERVAL_MS: '0',
  ...auth.env(),
});

describe('notifying the Order Service', () => {
  let stub: OrderServiceStub;
  let auth: AuthTokenEndpoint;
  let t: TestApp;
  /** The Order Service's own client-credentials token, as the web app pays with it. */
  let orderToken: string;

  before(async () => {
    stub = await OrderServiceStub.start();
    auth = await AuthTokenEndpoint.start();
    t = await startTestApp({ jwks: true, env: quickRetries(stub, auth) });
    orderToken = await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.read order.write');
  });
  after(async () => {
    await t.close();
    await stub.close();
    await auth.close();
  });

  async function customerWithCard(card?: string) {
    const customerId = await createCustomer(t.api);
    return { customerId, card: await saveCard(t.api, customerId, card) };
  }

  it('sends exactly one PUT /updateStatus per successful payment, with the exact body and the paying request\'s token', async () => {
    const { customerId, card } = await customerWithCard();
    const orders = [newOrder(), newOrder(), newOrder()];
    for (const orderId of orders) {
      const paid = await t.api.withToken(orderToken).post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
    }
    await eventually(() => orders.every((o) => stub.received().some((c) => c.orderId === o)), 'three notifications');
    await t.app.services.relay!.runOnce();
    for (const orderId of orders) {
      const calls = stub.calls.filter((c) => c.orderId === orderId);
      assert.equal(calls.length, 1, `one call for ${orderId}`);
      assert.deepEqual(calls[0]!.body, { orderId, status: 'PAYMENT RECEIVED' });
      assert.equal(calls[0]!.authorization, `Bearer ${orderToken}`);
    }
    const { rows } = await t.db.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM outbox WHERE order_id = ANY($1) GROUP BY status',
      [orders],
    );
    assert.deepEqual(rows, [{ status: 'delivered', n: 3 }]);
  });

  it('tells of an authorization once: capturing it later sends nothing more', async () => {
    const { customerId, card } = await customerWithCard();
    const orderId = newOrder();
    const authorized = await pay(t.api.withToken(orderToken), customerId, card, { orderId, captureMethod: 'manual' });
    assert.equal(authorized.body.data.status, 'requires_capture');
    await eventually(() => stub.received().some((c) => c.orderId === orderId), 'the authorization\'s notification');
    const captured = await t.api.post(`/payment/payment-intent/${authorized.body.data.payment_intent_id}/capture`, {});
    assert.equal(captured.body.data.status, 'succeeded');
    await t.app.services.relay!.runOnce();
    assert.equal(stub.calls.filter((c) => c.orderId === orderId).length, 1);
  });

  it('sends no failure by default: a declined payment leaves the order unnotified', async () => {
    const { customerId } = await customerWithCard();
    const declining = await saveCard(t.api, customerId, 'pm_card_chargeCustomerFail');
    const orderId = newOrder();
    const declined = await pay(t.api, customerId, declining, { orderId });
    assert.equal(declined.status, 402);
    await t.app.services.relay!.runOnce();
    assert.equal(stub.calls.filter((c) => c.orderId === orderId).length, 0);
    const { rows } = await t.db.query('SELECT 1 FROM outbox WHERE order_id = $1', [orderId]);
    assert.equal(rows.length, 0);
  });

  it('delivers through refused connections, 500s, timeouts and a 429 with Retry-After: each once, in order per order', async () => {
    // An administrator pays here: the Order Service refuses its token (no order scope), and the service token goes instead.
    const failing = await startTestApp({ sameDatabaseAs: t, env: { ...quickRetries(stub, auth), ORDER_STATUS_ON_FAILURE: 'ORDER PLACED' } });
    try {
      const customerId = await createCustomer(failing.api);
      const good = await saveCard(failing.api, customerId);
      const declining = await saveCard(failing.api, customerId, 'pm_card_chargeCustomerFail');
      const orders = Array.from({ length: 4 }, newOrder);
      const before = stub.calls.length;

      await stub.down();
      // Each order: a decline (failure status), then a payment that succeeds.
      for (const orderId of orders) {
        assert.equal((await pay(failing.api, customerId, declining, { orderId })).status, 402);
        assert.equal((await pay(failing.api, customerId, good, { orderId })).status, 200);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      await stub.up();
      stub.next({ kind: 'status', status: 500 }, { kind: 'status', status: 503 }, { kind: 'slow', delayMs: 2500 }, { kind: 'status', status: 429, retryAfter: '1' });
      await eventually(() => stub.received().filter((c) => orders.includes(c.orderId as string)).length >= 8, 'eight notifications', 20_000);
      await failing.app.services.relay!.runOnce();

      const calls = stub.calls.slice(before);
      assert.ok(calls.some((c) => c.answer === 500) && calls.some((c) => c.answer === 429), 'the failures were met');
      for (const orderId of orders) {
        const received = stub.received().filter((c) => c.orderId === orderId).map((c) => c.status);
        assert.deepEqual(received, ['ORDER PLACED', 'PAYMENT RECEIVED'], `${orderId}: each once, failure first`);
      }
      const { rows } = await failing.db.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM outbox WHERE order_id = ANY($1) GROUP BY status',
        [orders],
      );
      assert.deepEqual(rows, [{ status: 'delivered', n: 8 }]);
    } finally {
      stub.set({ kind: 'ok' });
      await failing.close();
    }
  });

  it('marks a notification refused for good (400) dead, and an admin sends it again', async () => {
    const { customerId, card } = await customerWithCard();
    const orderId = newOrder();
    stub.set({ kind: 'status', status: 400 });
    try {
      await pay(t.api, customerId, card, { orderId });
      await eventually(async () => (await t.db.query(`SELECT 1 FROM outbox WHERE order_id = $1 AND status = 'dead'`, [orderId])).rows.length === 1, 'a dead row');
    } finally {
      stub.set({ kind: 'ok' });
    }
    const dead = await t.api.get('/payment/admin/outbox?status=dead');
    assert.equal(dead.status, 200);
    const entry = dead.body.data.find((e: any) => e.orderId === orderId);
    assert.ok(entry, 'the dead row is listed');
    assert.equal(entry.status, 'dead');
    assert.match(entry.lastError, /^400/);
    assert.deepEqual(entry.payload, { orderId, status: 'PAYMENT RECEIVED' });

    const retried = await t.api.post(`/payment/admin/outbox/${entry.id}/retry`, {});
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.data.status, 'pending');
    await eventually(() => stub.received().some((c) => c.orderId === orderId), 'the retried notification');
    await t.app.services.relay!.runOnce();
    const delivered = await t.api.get('/payment/admin/outbox?status=delivered&limit=100');
    assert.ok(delivered.body.data.some((e: any) => e.orderId === orderId));
    // A delivered row cannot be retried; an unknown one is 404; a customer may not look.
    assert.equal((await t.api.post(`/payment/admin/outbox/${entry.id}/retry`, {})).status, 409);
    assert.equal((await t.api.post('/payment/admin/outbox/999999999/retry', {})).status, 404);
  });

  it('leaves no bearer token in the clear anywhere, before or after delivery', async () => {
    const { customerId, card } = await customerWithCard();
    const orderId = newOrder();
    await stub.down();
    try {
      await t.api.withToken(orderToken).post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId });
      const { rows } = await t.db.query<{ auth_token: string }>('SELECT auth_token FROM outbox WHERE order_id = $1', [orderId]);
      assert.match(rows[0]!.auth_token, /^enc:v1:/, 'sealed while pending');
      const signature = orderToken.split('.')[2]!;
      assert.ok(!(await everyStoredText(t)).includes(signature), 'no clear token while pending');
    } finally {
      await stub.up();
    }
    await t.app.services.relay!.runOnce();
    await eventually(() => stub.received().some((c) => c.orderId === orderId), 'the notification');
    // The stub hears the call before the relay commits the delivery: wait for the commit.
    const deliveredRow = async () =>
      (await t.db.query<{ status: string; auth_token: string | null }>('SELECT status, auth_token FROM outbox WHERE order_id = $1', [orderId])).rows[0]!;
    await eventually(async () => (await deliveredRow()).status === 'delivered', 'the row marked delivered');
    assert.equal((await deliveredRow()).auth_token, null, 'erased once delivered');
    const { rows: payments } = await t.db.query('SELECT 1 FROM payments WHERE notify_token IS NOT NULL AND order_id = $1', [orderId]);
    assert.equal(payments.length, 0);
    const stored = await everyStoredText(t);
    assert.ok(!stored.includes(orderToken.split('.')[2]!), 'no clear token after delivery');
  });
});

describe('a service token when the forwarded one cannot be used', () => {
  let stub: OrderServiceStub;
  let auth: AuthTokenEndpoint;
  let t: TestApp;

  before(async () => {
    stub = await OrderServiceStub.start();
    auth = await AuthTokenEndpoint.start();
    t = await startTestApp({ jwks: true, env: quickRetries(stub, auth) });
  });
  after(async () => {
    await t.close();
    await stub.close();
    await auth.close();
  });

  async function payFor(token: string) {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const orderId = newOrder();
    const paid = await t.api.withToken(token).post('/payment/payment-intent', { amount: 1200, currency: 'usd', customerId, paymentMethodId: card, orderId });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    return orderId;
  }

  it('fetches one when the forwarded token expired before delivery, and caches it', async () => {
    const shortLived = await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.write', { expiresIn: 2 });
    await stub.down();
    const orderId = await payFor(shortLived);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await stub.up();
    await t.app.services.relay!.runOnce();
    await eventually(() => stub.received().some((c) => c.orderId === orderId), `the notification (${JSON.stringify((await t.db.query('SELECT status, attempts, last_error FROM outbox WHERE order_id = $1', [orderId])).rows)})`);
    const call = stub.received().find((c) => c.orderId === orderId)!;
    assert.equal(call.authorization, `Bearer ${auth.issued.at(-1)}`, 'sent with the fetched service token');
    assert.equal(stub.calls.filter((c) => c.orderId === orderId).length, 1, 'the expired token was never sent');

    // The admin's token has no order scope, so the Order Service refuses it (403): the cached service token goes instead.
    const requests = auth.requests;
    const customerId = await createCustomer(t.api);
    const adminPaid = await pay(t.api, customerId, await saveCard(t.api, customerId));
    const adminOrder = (await t.db.query<{ order_id: string }>('SELECT order_id FROM payments WHERE processor_payment_intent_id = $1', [adminPaid.body.data.payment_intent_id])).rows[0]!.order_id;
    await eventually(() => stub.received().some((c) => c.orderId === adminOrder), 'the admin-paid notification');
    assert.deepEqual(stub.calls.filter((c) => c.orderId === adminOrder).map((c) => c.answer), [403, 200]);
    assert.equal(auth.requests, requests, 'the cached service token is reused');
  });

  it('falls back to one when the Order Service answers 401 to the forwarded token', async () => {
    const token = await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.write');
    stub.revoked.add(token);
    const orderId = await payFor(token);
    await eventually(() => stub.received().some((c) => c.orderId === orderId), 'the notification');
    const calls = stub.calls.filter((c) => c.orderId === orderId);
    assert.deepEqual(calls.map((c) => c.answer), [401, 200]);
    assert.equal(calls[0]!.authorization, `Bearer ${token}`);
    assert.match(calls[1]!.authorization!, /^Bearer /);
    assert.notEqual(calls[1]!.authorization, `Bearer ${token}`);
  });
});

describe('without ORDER_SERVICE_URL', () => {
  it('queues nothing and keeps no token', async () => {
    const t = await startTestApp({ jwks: true });
    try {
      assert.equal(t.app.services.relay, null);
      const customerId = await createCustomer(t.api);
      const card = await saveCard(t.api, customerId);
      const token = await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.write');
      const paid = await t.api.withToken(token).post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId: newOrder() });
      assert.equal(paid.status, 200);
      assert.equal((await t.db.query('SELECT 1 FROM outbox')).rows.length, 0);
      assert.equal((await t.db.query('SELECT 1 FROM payments WHERE notify_token IS NOT NULL')).rows.length, 0);
    } finally {
      await t.close();
    }
  });
});
