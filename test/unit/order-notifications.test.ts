import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notificationFor, orderStatusFor } from '../../src/domain/order-notifications.js';
import { PAYMENT_STATUSES } from '../../src/domain/payment-state.js';

describe('which status changes the Order Service hears of', () => {
  it('a payment that succeeds or is authorized: success, once (capturing an authorization is not news)', () => {
    for (const from of ['unknown', 'requires_action', 'processing', 'requires_payment_method'] as const) {
      assert.equal(notificationFor(from, 'succeeded', false), 'payment_succeeded');
      assert.equal(notificationFor(from, 'requires_capture', false), 'payment_succeeded');
    }
    assert.equal(notificationFor('requires_capture', 'succeeded', false), null);
  });

  it('a decline, a failed 3-D Secure, a cancel or a lapsed authorization: failure', () => {
    assert.equal(notificationFor('unknown', 'requires_payment_method', true), 'payment_failed');
    assert.equal(notificationFor('requires_action', 'requires_payment_method', true), 'payment_failed');
    assert.equal(notificationFor('requires_capture', 'canceled', false), 'payment_failed');
    assert.equal(notificationFor('requires_action', 'canceled', false), 'payment_failed');
    // Already reported failed: canceling the intent afterwards is not a second failure.
    assert.equal(notificationFor('requires_payment_method', 'canceled', true), null);
  });

  it('an intent waiting for its first payment method (the browser flow) is no failure', () => {
    assert.equal(notificationFor('unknown', 'requires_payment_method', false), null);
  });

  it('nothing for a status that stays, or moves without news', () => {
    for (const status of PAYMENT_STATUSES) assert.equal(notificationFor(status, status, true), null);
    assert.equal(notificationFor('unknown', 'requires_action', false), null);
    assert.equal(notificationFor('unknown', 'processing', false), null);
  });

  it('sends the configured status, and no failure when none is configured', () => {
    assert.equal(orderStatusFor('payment_succeeded', { successStatus: 'PAYMENT RECEIVED', failureStatus: null }), 'PAYMENT RECEIVED');
    assert.equal(orderStatusFor('payment_failed', { successStatus: 'PAYMENT RECEIVED', failureStatus: null }), null);
    assert.equal(orderStatusFor('payment_failed', { successStatus: 'PAYMENT RECEIVED', failureStatus: 'ORDER PLACED' }), 'ORDER PLACED');
  });
});
