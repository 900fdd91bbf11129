import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { childServiceEnv, startChildService } from '../helpers/child-service.js';
import { openTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js';

// SIGTERM while 50 payments are in flight, as a rollout sends it: the process must be another one
// on a database both share, so these run in the PostgreSQL pass of the suite.
const skip = TEST_DB !== 'postgres' && 'needs a database shared between processes (runs with TEST_DB=postgres)';

// Long enough that the checks made during the drain still fall inside it on a loaded machine.
const DRAIN_MS = 1500;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** GET without a token; a refused connection is status 0. */
async function plainCall(url: string): Promise<{ status: number; body: any }> {
  try {
    const response = await fetch(url);
    return { status: response.status, body: await response.json() };
  } catch {
    return { status: 0, body: null };
  }
}
const TIMEOUT_MS = 10_000;

describe('graceful shutdown: SIGTERM under load', { skip }, () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    database = await openTestDatabase();
    env = childServiceEnv(database);
  });
  after(() => database?.close());

  it('answers every request (completed, or 503), is not ready while it drains, exits 0 in time, and leaves nothing half done', async () => {
    const service = await startChildService({
      ...env,
      GRACEFUL: '1',
      PROCESSOR_DELAY_MS: '400',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    const exitCode = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
    const customer = await service.call('POST', '/payment/customer', { email: `drain-${randomUUID()}@example.com`, name: 'Drain' });
    const customerId = customer.body.data.customerId as string;
    const card = await service.call('POST', '/payment/payment-method', { customerId, paymentMethodId: `pm_drain${randomUUID().slice(0, 8)}` });
    const paymentMethodId = card.body.data.payment_method_id as string;
    assert.equal((await service.call('GET', '/ready')).status, 200);

    const orders = Array.from({ length: 50 }, () => ({ orderId: `order_${randomUUID()}`, key: randomUUID() }));
    const body = (orderId: string) => ({ amount: 1500, currency: 'usd', customerId, paymentMethodId, orderId });
    const answers = orders.map(({ orderId, key }) => service.call('POST', '/payment/payment-intent', body(orderId), { 'idempotency-key': key }));
    // Every request is on the wire and waiting at the (slowed) processor when the signal comes.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const signalled = Date.now();
    service.child.kill('SIGTERM');

    // At once not ready, while it still answers: the load balancer's cue to stop sending.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const duringDrain = await service.call('GET', '/ready');
    assert.equal(duringDrain.status, 503);
    assert.equal(duringDrain.body.message, 'Not ready: the service is shutting down');
    assert.equal((await service.call('GET', '/health')).status, 200);

    const results = await Promise.all(answers);
    assert.equal(await exitCode, 0);
    const took = Date.now() - signalled;
    assert.ok(took < DRAIN_MS + TIMEOUT_MS, `exited after ${took} ms`);
    assert.ok(took >= DRAIN_MS, `kept accepting for the drain (${took} ms)`);
    for (const [i, result] of results.entries()) {
      assert.ok(result.status === 200 || result.status === 503, `request ${i} answered ${result.status}`);
    }
    assert.ok(results.filter((r) => r.status === 200).length > 0, 'the requests in flight finished');

    // A new process on the same database: its boot reconciliation finds nothing left half done,
    // every order is charged exactly once where it was answered, and a retry of a 503 completes it.
    const next = await startChildService(env);
    try {
      const unresolved = await database.db.query("SELECT id FROM payments WHERE status IN ('unknown', 'processing')");
      assert.deepEqual(unresolved.rows, []);
      for (const [i, { orderId, key }] of orders.entries()) {
        let answer = results[i]!;
        if (answer.status === 503) answer = await next.call('POST', '/payment/payment-intent', body(orderId), { 'idempotency-key': key });
        assert.equal(answer.status, 200, `order ${i}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.data.status, 'succeeded');
        const charges = await database.db.query<{ id: string }>(
          `SELECT id FROM simulated_processor_objects
           WHERE type = 'payment_intent' AND data->>'status' = 'succeeded' AND data->'metadata'->>'order_id' = $1`,
          [orderId],
        );
        const payments = await database.db.query<{ id: string; status: string }>(
          'SELECT processor_payment_intent_id AS id, status FROM payments WHERE order_id = $1',
          [orderId],
        );
        assert.deepEqual(charges.rows.map((r) => r.id), [answer.body.data.payment_intent_id], `order ${i}: one charge`);
        assert.deepEqual(payments.rows, [{ id: answer.body.data.payment_intent_id, status: 'succeeded' }], `order ${i}: one payment`);
      }
    } finally {
      await next.stop();
    }
  });

  it('cuts off a request still running at SHUTDOWN_TIMEOUT_MS as a crash would, exits 1, and the next process finishes it', async () => {
    const service = await startChildService({ ...env, GRACEFUL: '1', SHUTDOWN_DRAIN_MS: '0', SHUTDOWN_TIMEOUT_MS: '1000', PROCESSOR_DELAY_MS: '0' });
    const exitCode = new Promise<number | null>((resolve) => service.child.once('exit', (code) => resolve(code)));
    const customer = await service.call('POST', '/payment/customer', { email: `cut-${randomUUID()}@example.com`, name: 'Cut' });
    const customerId = customer.body.data.customerId as string;
    const card = await service.call('POST', '/payment/payment-method', { customerId, paymentMethodId: `pm_cut${randomUUID().slice(0, 8)}` });
    const paymentMethodId = card.body.data.payment_method_id as string;
    await service.stop();
    assert.equal(await exitCode, 0, 'an idle service exits 0');

    // Now one whose processor takes longer than the shutdown may wait.
    const slow = await startChildService({ ...env, GRACEFUL: '1', SHUTDOWN_DRAIN_MS: '0', SHUTDOWN_TIMEOUT_MS: '1000', PROCESSOR_DELAY_MS: '8000' });
    const slowExit = new Promise<number | null>((resolve) => slow.child.once('exit', (code) => resolve(code)));
    const orderId = `order_${randomUUID()}`;
    const key = randomUUID();
    const body = { amount: 1500, currency: 'usd', customerId, paymentMethodId, orderId };
    const answer = slow.call('POST', '/payment/payment-intent', body, { 'idempotency-key': key });
    for (let i = 0; i < 200 && (await database.db.query('SELECT 1 FROM payments WHERE order_id = $1', [orderId])).rowCount === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const signalled = Date.now();
    slow.child.kill('SIGTERM');
    assert.equal(await slowExit, 1, 'a shutdown that timed out exits 1');
    assert.ok(Date.now() - signalled < 5000, 'within the timeout, not after the processor call');
    assert.equal((await answer).status, 0, 'the cut-off request got no answer, as after a crash');
    const left = await database.db.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1', [orderId]);
    assert.deepEqual(left.rows, [{ status: 'unknown' }]);

    // The next process reconciles it at boot (slowly: its processor takes a while). Meanwhile it
    // listens: /health answers, /ready and every other route are 503 until the boot is done.
    const port = await freePort();
    const starting = startChildService({ ...env, CHILD_PORT: String(port), PROCESSOR_DELAY_MS: '2500' });
    let duringBoot: { status: number; body: any } = { status: 0, body: null };
    for (let i = 0; i < 400 && duringBoot.status === 0; i++) {
      duringBoot = await plainCall(`http://127.0.0.1:${port}/ready`);
      if (duringBoot.status === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(duringBoot, {
      status: 503,
      body: { success: false, code: 'service_unavailable', message: 'Not ready: the service is starting (migrations, boot reconciliation)' },
    });
    assert.equal((await plainCall(`http://127.0.0.1:${port}/health`)).status, 200);
    const business = await plainCall(`http://127.0.0.1:${port}/payment/payment-intent/pi_x`);
    assert.deepEqual([business.status, business.body.code], [503, 'service_unavailable']);
    const next = await starting;
    assert.equal((await next.call('GET', '/ready')).status, 200);
    try {
      const retried = await next.call('POST', '/payment/payment-intent', body, { 'idempotency-key': key });
      assert.equal(retried.status, 200, JSON.stringify(retried.body));
      const payments = await database.db.query<{ status: string }>('SELECT status FROM payments WHERE order_id = $1', [orderId]);
      assert.equal(payments.rows.length, 1);
      assert.notEqual(payments.rows[0]!.status, 'unknown');
      const charges = await database.db.query(
        `SELECT id FROM simulated_processor_objects WHERE type = 'payment_intent' AND data->>'status' = 'succeeded' AND data->'metadata'->>'order_id' = $1`,
        [orderId],
      );
      assert.ok(charges.rowCount! <= 1, 'never charged twice');
      assert.equal(charges.rowCount === 1, payments.rows[0]!.status === 'succeeded', 'the processor and our row agree');
    } finally {
      await next.stop();
    }
  });
});
