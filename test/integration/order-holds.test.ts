/**
 * Who a payment holds its order against (migration 018). A customer paying with its own user token
 * holds the order against itself only: another customer naming the same order id is neither
 * blocked nor told anything of it. The Order Service's (or an administrator's) payment holds the
 * order against everyone, and no customer's own payment holds it off. A 409 names the holding
 * payment only to its own customer, a service or an administrator. The Order Service hears of the
 * order's payment once, and never a failure while another payment still holds the order.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, saveCard, startTestApp, uniqueEmail, type Api, type TestApp } from '../helpers/app.js';
import { platformUserToken, serviceToken } from '../helpers/tokens.js';
import { AuthTokenEndpoint } from '../stubs/auth-token-endpoint.js';
import { OrderServiceStub } from '../stubs/order-service.js';

const newOrder = () => `order_${randomBytes(6).toString('hex')}`;

interface Customer {
  api: Api;
  customerId: string;
  card: string;
}

/** Every id a payment answer can carry, to look for in another customer's answers. */
function idsOf(body: { data?: { payment_intent_id?: string; id?: string } }): string[] {
  return [body.data?.payment_intent_id, body.data?.id].filter((id): id is string => typeof id === 'string');
}

describe('order holds: one customer\'s payment neither blocks nor reveals another\'s', () => {
  let stub: OrderServiceStub;
  let auth: AuthTokenEndpoint;
  let t: TestApp;
  let orderService: Api;

  before(async () => {
    stub = await OrderServiceStub.start();
    auth = await AuthTokenEndpoint.start();
    t = await startTestApp({
      jwks: true,
      env: {
        ORDER_SERVICE_URL: stub.url, ORDER_STATUS_ON_FAILURE: 'CANCELLED', ORDER_SERVICE_TIMEOUT_MS: '1500',
        OUTBOX_BACKOFF_MAX_MS: '150', OUTBOX_MAX_ATTEMPTS: '1000', OUTBOX_SWEEP_INTERVAL_MS: '0', ...auth.env(),
      },
    });
    orderService = t.api.withToken(await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.read order.write'));
  });
  after(async () => {
    await t.close();
    await stub.close();
    await auth.close();
  });

  /** A customer signed in with its own user token, with a card saved through it. */
  async function customer(): Promise<Customer> {
    const email = uniqueEmail('holder');
    const api = t.api.withToken(await platformUserToken(email));
    const customerId = await createCustomer(api, email);
    return { api, customerId, card: await saveCard(api, customerId) };
  }

  function pay(who: Customer, orderId: string, extra: Record<string, unknown> = {}, api = who.api) {
    return api.post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId: who.customerId, paymentMethodId: who.card, orderId, ...extra });
  }

  async function rowsOf(orderId: string) {
    const { rows } = await t.db.query<{ id: string; customer_id: string; status: string; order_hold: string; superseded_by: string | null }>(
      'SELECT id, customer_id, status, order_hold, superseded_by FROM payments WHERE order_id = $1 ORDER BY created_at',
      [orderId],
    );
    return rows;
  }

  async function notifications(orderId: string) {
    await t.app.services.relay!.runOnce();
    const { rows } = await t.db.query<{ event: string; payment_id: string }>('SELECT event, payment_id FROM outbox WHERE order_id = $1 ORDER BY id', [orderId]);
    return rows;
  }

  it('two customers\' user tokens on one order id: both pay, and neither answer names the other\'s payment', async () => {
    const [owner, stranger] = [await customer(), await customer()];
    const orderId = newOrder();
    // The hole: a tiny manual authorization that held the order for days and blocked its owner.
    const held = await pay(stranger, orderId, { amount: 50, captureMethod: 'manual' });
    assert.deepEqual([held.status, held.body.data?.status], [200, 'requires_capture'], JSON.stringify(held.body));
    const paid = await pay(owner, orderId);
    assert.deepEqual([paid.status, paid.body.data?.status], [200, 'succeeded'], JSON.stringify(paid.body));

    const strangerIds = idsOf(held.body);
    const ownerIds = idsOf(paid.body);
    for (const id of strangerIds) assert.ok(!JSON.stringify(paid.body).includes(id), 'the owner is not shown the stranger\'s payment');
    for (const id of ownerIds) assert.ok(!JSON.stringify(held.body).includes(id), 'the stranger is not shown the owner\'s payment');
    const peek = await stranger.api.get(`/payment/payment-intent/${paid.body.data.payment_intent_id}`);
    assert.deepEqual([peek.status, peek.body.code], [404, 'payment_intent_not_found']);

    const rows = await rowsOf(orderId);
    assert.deepEqual(rows.map((r) => [r.status, r.order_hold, r.superseded_by]), [
      ['requires_capture', 'customer', null],
      ['succeeded', 'customer', null],
    ]);
    assert.notEqual(rows[0]!.customer_id, rows[1]!.customer_id);
    // The Order Service hears of the order's payment once, and nothing of the stranger's release.
    const released = await t.api.post(`/payment/payment-intent/${held.body.data.payment_intent_id}/cancel`);
    assert.deepEqual([released.status, released.body.data?.status], [200, 'canceled']);
    assert.deepEqual((await notifications(orderId)).map((n) => n.event), ['payment_succeeded']);
  });

  it('the same customer twice on one order: 409 naming its own payment, nothing written', async () => {
    const owner = await customer();
    const orderId = newOrder();
    const first = await pay(owner, orderId, { captureMethod: 'manual' });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await pay(owner, orderId, { amount: 3000 });
    assert.deepEqual(
      [second.status, second.body.code, second.body.payment_intent_id, second.body.status],
      [409, 'order_already_paid', first.body.data.payment_intent_id, 'requires_capture'],
    );
    assert.equal((await rowsOf(orderId)).length, 1);
  });

  it('the Order Service paid the order: a customer\'s own payment for it is 409 naming nothing, nothing written', async () => {
    const [owner, stranger] = [await customer(), await customer()];
    const orderId = newOrder();
    const paid = await pay(owner, orderId, {}, orderService);
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    const { rows: [row] } = await t.db.query<{ id: string }>('SELECT id FROM payments WHERE order_id = $1', [orderId]);

    const refused = await pay(stranger, orderId, { amount: 50, captureMethod: 'manual' });
    assert.deepEqual([refused.status, refused.body.success, refused.body.code], [409, false, 'order_already_paid']);
    assert.equal(refused.body.payment_intent_id ?? null, null);
    assert.equal(refused.body.status, undefined);
    for (const id of [...idsOf(paid.body), row!.id]) assert.ok(!JSON.stringify(refused.body).includes(id), 'the 409 names no payment');
    assert.match(refused.body.message, /is already being paid/);
    // The owner's own token is shown its own payment.
    const again = await pay(owner, orderId);
    assert.deepEqual([again.status, again.body.payment_intent_id, again.body.status], [409, paid.body.data.payment_intent_id, 'succeeded']);
    // A service or an administrator is told which payment holds it.
    const admin = await pay(stranger, orderId, {}, t.api);
    assert.deepEqual([admin.status, admin.body.payment_intent_id], [409, paid.body.data.payment_intent_id]);

    const rows = await rowsOf(orderId);
    assert.deepEqual(rows.map((r) => [r.status, r.order_hold]), [['succeeded', 'order']]);
    assert.deepEqual((await notifications(orderId)).map((n) => n.event), ['payment_succeeded']);
  });

  it('a stranger\'s own hold does not keep the Order Service from paying the order; it hears of the order once, and its refund is the Order Service\'s payment', async () => {
    const [owner, stranger] = [await customer(), await customer()];
    const orderId = newOrder();
    const held = await pay(stranger, orderId, { amount: 50, captureMethod: 'manual' });
    assert.equal(held.status, 200, JSON.stringify(held.body));
    const paid = await pay(owner, orderId, {}, orderService);
    assert.deepEqual([paid.status, paid.body.data?.status], [200, 'succeeded'], JSON.stringify(paid.body));
    // Held order-wide now: the stranger cannot pay it again, and the owner's own token cannot pay it twice.
    assert.equal((await pay(stranger, orderId, { captureMethod: 'manual' })).status, 409);
    assert.equal((await pay(owner, orderId)).status, 409);

    const rows = await rowsOf(orderId);
    assert.deepEqual(rows.map((r) => [r.status, r.order_hold]), [['requires_capture', 'customer'], ['succeeded', 'order']]);
    assert.deepEqual((await notifications(orderId)).map((n) => n.event), ['payment_succeeded'], 'PAYMENT RECEIVED once per order');

    const refund = await orderService.post('/payment/refund', { orderId });
    assert.equal(refund.status, 200, JSON.stringify(refund.body));
    assert.equal(refund.body.data.payment_intent, paid.body.data.payment_intent_id, 'the order\'s refund refunds the Order Service\'s payment');
    const { rows: refunds } = await t.db.query<{ payment_id: string; amount: number }>(
      'SELECT r.payment_id, r.amount FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.order_id = $1',
      [orderId],
    );
    assert.deepEqual(refunds.map((r) => [r.payment_id, Number(r.amount)]), [[rows[1]!.id, 2500]]);
  });

  it('the owner\'s payment through the Order Service after its own user-token payment for the order is 409: one customer, one live payment', async () => {
    const owner = await customer();
    const orderId = newOrder();
    const own = await pay(owner, orderId, { captureMethod: 'manual' });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    const twice = await pay(owner, orderId, {}, orderService);
    assert.deepEqual([twice.status, twice.body.code, twice.body.payment_intent_id], [409, 'order_already_paid', own.body.data.payment_intent_id]);
    assert.deepEqual((await rowsOf(orderId)).map((r) => [r.status, r.order_hold]), [['requires_capture', 'customer']]);
  });
});
