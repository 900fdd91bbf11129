/**
 * A processor's answer recorded on a payment: a change from the status the caller last saw is one
 * statement (recordChangeSql, a compare-and-set), and a caller whose view is stale (another writer
 * moved the row first) changes nothing through it and goes the general, locked path, which keeps
 * the transition table. Both write the status history; neither loses a concurrent writer's change.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Database, Queryable } from '../../src/store/database.js';
import { PaymentsRepository, type PaymentOutcome } from '../../src/store/payments-repository.js';
import { statusesThatCanBecome } from '../../src/domain/payment-state.js';
import { createCustomer, payAwaitingAuthentication, saveCard, pay, startTestApp, type TestApp } from '../helpers/app.js';

/** The database, counting the statements sent to it (inside transactions too). */
function counting(db: Database): { db: Database; statements: string[] } {
  const statements: string[] = [];
  const wrap = (q: Queryable): Queryable => ({
    exec: (script) => q.exec(script),
    query: (text, params) => {
      statements.push(text.trim().split(/\s+/).slice(0, 3).join(' '));
      return q.query(text, params);
    },
  });
  return {
    statements,
    db: {
      kind: db.kind,
      ...wrap(db),
      transaction: (fn) => db.transaction((tx) => {
        statements.push('BEGIN');
        return fn(wrap(tx));
      }),
      close: () => db.close(),
    },
  };
}

const succeeded = (pi: string, amount: number): PaymentOutcome => ({
  processorPaymentIntentId: pi, status: 'succeeded', amountCapturable: 0, amountReceived: amount, clientSecret: null,
  nextAction: null, failureCode: null, declineCode: null, failureMessage: null, captureBefore: null,
});

describe('recording a payment outcome', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  async function history(paymentId: string) {
    const { rows } = await t.db.query<{ from_status: string | null; to_status: string; source: string }>(
      'SELECT from_status, to_status, source FROM payment_events WHERE payment_id = $1 ORDER BY id',
      [paymentId],
    );
    return rows;
  }

  it('records a change from the status the caller saw in one statement, with its history entry', async () => {
    const waiting = await payAwaitingAuthentication(t.api);
    const row = (await t.db.query<{ id: string; amount: number }>('SELECT id, amount FROM payments WHERE processor_payment_intent_id = $1', [waiting.id])).rows[0]!;
    const { db, statements } = counting(t.db);
    const result = await new PaymentsRepository(db).recordOutcome(row.id, statusesThatCanBecome('succeeded'), succeeded(waiting.id, row.amount), 'webhook', 'requires_action');
    assert.deepEqual(statements, ['WITH recorded AS'], 'one statement, no transaction');
    assert.equal(result.updated, true);
    assert.equal(result.previous, 'requires_action');
    assert.equal(result.payment.status, 'succeeded');
    assert.equal(result.payment.amountReceived, row.amount);
    assert.deepEqual((await history(row.id)).at(-1), { from_status: 'requires_action', to_status: 'succeeded', source: 'webhook' });
  });

  it('a caller that saw an older status changes nothing through it: the general path records what the table allows', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const paid = await pay(t.api, customerId, card);
    assert.equal(paid.body.data.status, 'succeeded');
    const row = (await t.db.query<{ id: string; amount: number }>('SELECT id, amount FROM payments WHERE processor_payment_intent_id = $1', [paid.body.data.payment_intent_id])).rows[0]!;
    const before = await history(row.id);

    // A late answer from a caller that last saw the payment waiting for 3-D Secure, reporting a cancel.
    const { db, statements } = counting(t.db);
    const canceled: PaymentOutcome = { ...succeeded(paid.body.data.payment_intent_id, 0), status: 'canceled', amountReceived: 0 };
    const result = await new PaymentsRepository(db).recordOutcome(row.id, statusesThatCanBecome('canceled'), canceled, 'webhook', 'requires_action');
    assert.equal(statements[0], 'WITH recorded AS', 'the one statement was tried first');
    assert.ok(statements.includes('BEGIN'), 'then the general path, in a transaction');
    assert.equal(result.updated, false, 'a succeeded payment cannot become canceled');
    assert.equal(result.payment.status, 'succeeded');
    assert.equal(result.payment.amountReceived, row.amount);
    assert.deepEqual(await history(row.id), before, 'no history entry for a change that did not happen');
  });

  it('a stale caller whose change the table allows from the real status is recorded from that status', async () => {
    const waiting = await payAwaitingAuthentication(t.api);
    const row = (await t.db.query<{ id: string; amount: number }>('SELECT id, amount FROM payments WHERE processor_payment_intent_id = $1', [waiting.id])).rows[0]!;
    // The caller believes the payment is still unknown; it is requires_action.
    const result = await new PaymentsRepository(t.db).recordOutcome(row.id, statusesThatCanBecome('succeeded'), succeeded(waiting.id, row.amount), 'reconciler', 'unknown');
    assert.equal(result.updated, true);
    assert.equal(result.previous, 'requires_action', 'the status it really had, not the one the caller saw');
    assert.deepEqual((await history(row.id)).at(-1), { from_status: 'requires_action', to_status: 'succeeded', source: 'reconciler' });
  });
});
