import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertOperationAllowed, assertTransition, canTransition, PAYMENT_STATUSES, statusesThatCanBecome, type PaymentStatus } from '../../src/domain/payment-state.js';
import { AppError } from '../../src/errors.js';

// The expected table, written out in full: every pair not listed here must be refused.
const ALLOWED: Record<PaymentStatus, PaymentStatus[]> = {
  unknown: ['unknown', 'requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture', 'succeeded', 'canceled'],
  requires_payment_method: ['requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture', 'succeeded', 'canceled'],
  requires_confirmation: ['requires_confirmation', 'requires_payment_method', 'requires_action', 'processing', 'requires_capture', 'succeeded', 'canceled'],
  requires_action: ['requires_action', 'requires_payment_method', 'processing', 'requires_capture', 'succeeded', 'canceled'],
  processing: ['processing', 'requires_payment_method', 'requires_action', 'requires_capture', 'succeeded', 'canceled'],
  requires_capture: ['requires_capture', 'processing', 'succeeded', 'canceled'],
  succeeded: ['succeeded'],
  canceled: ['canceled'],
};

describe('payment state machine', () => {
  for (const from of PAYMENT_STATUSES) {
    for (const to of PAYMENT_STATUSES) {
      const allowed = ALLOWED[from].includes(to);
      it(`${from} → ${to} is ${allowed ? 'allowed' : 'refused'}`, () => {
        assert.equal(canTransition(from, to), allowed);
        if (allowed) assertTransition(from, to);
        else {
          assert.throws(
            () => assertTransition(from, to),
            (e: unknown) => e instanceof AppError && e.code === 'invalid_state' && e.statusCode === 409 && e.message.includes(from),
          );
        }
      });
    }
  }

  it('nothing leaves succeeded or canceled, and nothing returns to unknown', () => {
    for (const to of PAYMENT_STATUSES) {
      if (to !== 'succeeded') assert.equal(canTransition('succeeded', to), false);
      if (to !== 'canceled') assert.equal(canTransition('canceled', to), false);
    }
    for (const from of PAYMENT_STATUSES) if (from !== 'unknown') assert.equal(canTransition(from, 'unknown'), false);
  });

  it('answers the statuses that may move to a given one', () => {
    assert.deepEqual(statusesThatCanBecome('unknown'), ['unknown']);
    assert.ok(statusesThatCanBecome('succeeded').includes('requires_capture'));
    assert.ok(!statusesThatCanBecome('succeeded').includes('canceled'));
  });

  it('allows capture, cancel and refund only from their statuses', () => {
    assertOperationAllowed('capture', 'requires_capture');
    assertOperationAllowed('refund', 'succeeded');
    assertOperationAllowed('cancel', 'requires_capture');
    for (const [operation, status] of [['capture', 'succeeded'], ['refund', 'requires_capture'], ['cancel', 'succeeded'], ['refund', 'unknown']] as const) {
      assert.throws(
        () => assertOperationAllowed(operation, status),
        (e: unknown) => e instanceof AppError && e.code === 'invalid_state' && e.details?.['status'] === status,
      );
    }
  });
});
