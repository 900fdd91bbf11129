/**
 * Notifications survive the service's death: killed with SIGKILL while some wait and some are in
 * flight, the service restarted delivers every one, none twice. Two instances relaying from one
 * PostgreSQL send no notification twice. Needs a database shared between processes: runs with
 * TEST_DB=postgres.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, saveCard, startTestApp, TEST_DATA_KEY, type TestApp } from '../helpers/app.js';
import { startChildService, type ChildService } from '../helpers/child-service.js';
import { openTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js';
import { AuthTokenEndpoint } from '../stubs/auth-token-endpoint.js';
import { OrderServiceStub } from '../stubs/order-service.js';

const skip = TEST_DB !== 'postgres' && 'needs a database shared between processes (runs with TEST_DB=postgres)';

async function eventually(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many times the Order Service acted on each order's notification. */
function receivedPerOrder(stub: OrderServiceStub, orders: string[]): number[] {
  return orders.map((orderId) => stub.received().filter((c) => c.orderId === orderId).length);
}

describe('notifications across crashes and instances', { skip }, () => {
  let database: TestDatabase;
  let stub: OrderServiceStub;
  let auth: AuthTokenEndpoint;
  let env: Record<string, string>;

  before(async () => {
    database = await openTestDatabase();
    stub = await OrderServiceStub.start();
    auth = await AuthTokenEndpoint.start();
    env = {
      DATABASE_URL: database.url!,
      DATABASE_SCHEMA: database.schema!,
      RECONCILE_INTERVAL_MS: '0',
      DATA_ENCRYPTION_KEY: TEST_DATA_KEY,
      ORDER_SERVICE_URL: stub.url,
      ORDER_SERVICE_TIMEOUT_MS: '3000',
      OUTBOX_BACKOFF_MAX_MS: '300',
      OUTBOX_MAX_ATTEMPTS: '1000',
      OUTBOX_SWEEP_INTERVAL_MS: '500',
      ...auth.env(),
    };
  });
  after(async () => {
    await stub.close();
    await auth.close();
    await database?.close();
  });

  async function payMany(service: ChildService, count: number): Promise<string[]> {
    const customer = await service.call('POST', '/payment/customer', { email: `outbox-${randomUUID()}@example.com`, name: 'Outbox' });
    const customerId = customer.body.data.customerId as string;
    const card = await service.call('POST', '/payment/payment-method', { customerId, paymentMethodId: `pm_outbox${randomUUID().slice(0, 8)}` });
    const orders: string[] = [];
    for (let i = 0; i < count; i++) {
      const orderId = `order_${randomUUID()}`;
      const paid = await service.call('POST', '/payment/payment-intent', { amount: 1000 + i, customerId, paymentMethodId: card.body.data.payment_method_id, orderId });
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      orders.push(orderId);
    }
    return orders;
  }

  it('killed with SIGKILL with notifications waiting and in flight: after a restart every one is delivered, none twice', async () => {
    const doomed = await startChildService(env);
    await stub.down();
    const waiting = await payMany(doomed, 5);
    await stub.up();
    // Slower than the process will live: these are in flight when it dies, and never answered.
    stub.set({ kind: 'slow', delayMs: 10_000 });
    const inFlight = await payMany(doomed, 5);
    await eventually(() => inFlight.every((o) => stub.calls.some((c) => c.orderId === o)), 'the in-flight calls', 10_000);
    doomed.child.kill('SIGKILL');
    assert.equal(await doomed.exited, 'SIGKILL');
    stub.set({ kind: 'ok' });
    assert.deepEqual(receivedPerOrder(stub, [...waiting, ...inFlight]), Array(10).fill(0), 'nothing was acted on before the crash');

    const revived = await startChildService(env);
    try {
      const orders = [...waiting, ...inFlight];
      await eventually(() => receivedPerOrder(stub, orders).every((n) => n >= 1), 'every notification after the restart', 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // a second delivery would have come by now
      assert.deepEqual(receivedPerOrder(stub, orders), Array(10).fill(1), 'each once');
      const { rows } = await database.db.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM outbox WHERE order_id = ANY($1) GROUP BY status',
        [orders],
      );
      assert.deepEqual(rows, [{ status: 'delivered', n: 10 }]);
    } finally {
      await revived.stop();
    }
  });

  it('two instances relaying from one PostgreSQL, the Order Service failing a third of the calls: each notification once', async () => {
    const first: TestApp = await startTestApp({ env: { ...env, ORDER_SERVICE_TIMEOUT_MS: '1500' } });
    const second: TestApp = await startTestApp({ sameDatabaseAs: first, env: { ...env, ORDER_SERVICE_TIMEOUT_MS: '1500' } });
    stub.set({ kind: 'flaky', failureRate: 0.33 });
    try {
      const customerId = await createCustomer(first.api);
      const card = await saveCard(first.api, customerId);
      const orders = Array.from({ length: 40 }, () => `order_${randomUUID()}`);
      await Promise.all(orders.map((orderId, i) =>
        (i % 2 === 0 ? first : second).api.post('/payment/payment-intent', { amount: 1500, currency: 'usd', customerId, paymentMethodId: card, orderId })));
      // Both sweep what the other queued, as instances do.
      first.app.services.relay!.start(100);
      second.app.services.relay!.start(100);
      await eventually(() => receivedPerOrder(stub, orders).every((n) => n >= 1), 'every notification', 30_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(receivedPerOrder(stub, orders), Array(40).fill(1), 'none twice');
      assert.ok(stub.calls.some((c) => orders.includes(c.orderId as string) && c.answer === 500), 'the failures were met');
    } finally {
      stub.set({ kind: 'ok' });
      await second.close();
      await first.close();
    }
  });
});
