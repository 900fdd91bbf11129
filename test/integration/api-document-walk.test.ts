import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { walkApiDocument } from '../helpers/api-document-walk.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('the API document, examples 1 to 8 in order', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('walks through, and the database agrees with every answer', async () => {
    const { customerId, paymentIntentId, refundId } = await walkApiDocument(t.api);
    const { rows } = await t.db.query<Record<string, unknown>>(
      `SELECT c.processor_customer_id, p.status, p.amount, p.amount_received, r.processor_refund_id, r.amount AS refunded,
              (SELECT count(*)::int FROM payment_methods pm WHERE pm.customer_id = c.id) AS cards
       FROM payments p JOIN customers c ON c.id = p.customer_id JOIN refunds r ON r.payment_id = p.id
       WHERE p.processor_payment_intent_id = $1`,
      [paymentIntentId],
    );
    assert.deepEqual(rows, [
      { processor_customer_id: customerId, status: 'succeeded', amount: 2500, amount_received: 2500, processor_refund_id: refundId, refunded: 1000, cards: 1 },
    ]);
  });
});
