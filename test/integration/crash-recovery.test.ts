import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { childServiceEnv, startChildService, type ChildService } from '../helpers/child-service.js';
import { openTestDatabase, TEST_DB, type TestDatabase } from '../helpers/database.js';

// A process killed mid-payment and restarted: after the boot reconciliation, the processor's charges
// and our records agree one to one. A killed process needs a database other processes can open:
// the real PostgreSQL, so these run in the PostgreSQL pass of the suite.
const skip = TEST_DB !== 'postgres' && 'needs a database shared between processes (runs with TEST_DB=postgres)';

describe('crash recovery: the service killed at each step of a payment', { skip }, () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  before(async () => {
    database = await openTestDatabase();
    env = childServiceEnv(database);
  });
  after(() => database?.close());

  /** Charges and refunds at the processor against our rows, for one order. */
  async function ledgers(orderId: string) {
    const charges = await database.db.query<{ id: string; status: string }>(
      `SELECT id, data->>'status' AS status FROM simulated_processor_objects
       WHERE type = 'payment_intent' AND data->'metadata'->>'order_id' = $1 ORDER BY id`,
      [orderId],
    );
    const payments = await database.db.query<{ id: string; status: string }>(
      'SELECT processor_payment_intent_id AS id, status FROM payments WHERE order_id = $1 ORDER BY processor_payment_intent_id',
      [orderId],
    );
    const processorRefunds = await database.db.query<{ id: string; amount: number }>(
      `SELECT id, (data->>'amount')::int AS amount FROM simulated_processor_objects
       WHERE type = 'refund' AND data->'metadata'->>'order_id' = $1 ORDER BY id`,
      [orderId],
    );
    const refunds = await database.db.query<{ id: string; amount: number; status: string }>(
      `SELECT r.processor_refund_id AS id, r.amount, r.status FROM refunds r JOIN payments p ON p.id = r.payment_id
       WHERE p.order_id = $1 ORDER BY r.processor_refund_id`,
      [orderId],
    );
    return { charges: charges.rows, payments: payments.rows, processorRefunds: processorRefunds.rows, refunds: refunds.rows };
  }

  async function setUp(service: ChildService) {
    const customer = await service.call('POST', '/payment/customer', { email: `crash-${randomUUID()}@example.com`, name: 'Crash' });
    const customerId = customer.body.data.customerId as string;
    const card = await service.call('POST', '/payment/payment-method', { customerId, paymentMethodId: `pm_crash${randomUUID().slice(0, 8)}` });
    return { customerId, paymentMethodId: card.body.data.payment_method_id as string };
  }

  for (const crashAt of ['before-processor', 'after-processor', 'during-record']) {
    it(`payment creation, killed ${crashAt}: restarted, one charge, one succeeded payment, the retry answers it`, async () => {
      const doomed = await startChildService({ ...env, CRASH_AT: crashAt, CRASH_OP: 'payment_intents.create' });
      const { customerId, paymentMethodId } = await setUp(doomed);
      const orderId = `order_${randomUUID()}`;
      const request = { amount: 2500, customerId, paymentMethodId, orderId };
      const headers = { 'idempotency-key': `crash-${randomUUID()}` };
      const lost = await doomed.call('POST', '/payment/payment-intent', request, headers);
      assert.equal(lost.status, 0, 'the connection died with the process');
      assert.equal(await doomed.exited, 'SIGKILL');

      const revived = await startChildService(env);
      try {
        const { charges, payments } = await ledgers(orderId);
        assert.equal(charges.length, 1, 'exactly one charge');
        assert.deepEqual(payments, [{ id: charges[0]!.id, status: 'succeeded' }]);
        assert.equal(charges[0]!.status, 'succeeded');

        await new Promise((resolve) => setTimeout(resolve, 600)); // the dead request's hold on its key lapses
        const retried = await revived.call('POST', '/payment/payment-intent', request, headers);
        assert.equal(retried.status, 200, JSON.stringify(retried.body));
        assert.equal(retried.body.data.payment_intent_id, charges[0]!.id);
        assert.equal((await ledgers(orderId)).charges.length, 1, 'the retry charged nothing more');
      } finally {
        await revived.stop();
      }
    });
  }

  for (const crashAt of ['before-processor', 'after-processor', 'during-record']) {
    it(`refund, killed ${crashAt}: restarted, one refund here and at the processor`, async () => {
      const doomed = await startChildService({ ...env, CRASH_AT: crashAt, CRASH_OP: 'refunds.create' });
      const { customerId, paymentMethodId } = await setUp(doomed);
      const orderId = `order_${randomUUID()}`;
      const paid = await doomed.call('POST', '/payment/payment-intent', { amount: 4000, customerId, paymentMethodId, orderId });
      assert.equal(paid.status, 200);
      const refund = { paymentIntentId: paid.body.data.payment_intent_id, amount: 1500 };
      const headers = { 'idempotency-key': `crash-refund-${randomUUID()}` };
      assert.equal((await doomed.call('POST', '/payment/refund', refund, headers)).status, 0);
      assert.equal(await doomed.exited, 'SIGKILL');

      const revived = await startChildService(env);
      try {
        const { processorRefunds, refunds } = await ledgers(orderId);
        assert.equal(processorRefunds.length, 1);
        assert.deepEqual(refunds, [{ id: processorRefunds[0]!.id, amount: 1500, status: 'succeeded' }]);
        await new Promise((resolve) => setTimeout(resolve, 600));
        const retried = await revived.call('POST', '/payment/refund', refund, headers);
        assert.equal(retried.status, 200, JSON.stringify(retried.body));
        assert.equal(retried.body.data.refund_id, processorRefunds[0]!.id);
        assert.equal((await ledgers(orderId)).processorRefunds.length, 1);
      } finally {
        await revived.stop();
      }
    });
  }
});
