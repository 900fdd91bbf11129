import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REFUND_STATUSES } from '../../src/domain/models.js';
import { canRefundTransition, isFailureAfterSuccess, refundStatusesThatCanBecome } from '../../src/domain/refund-state.js';

describe('the refund transition table', () => {
  it('lets a succeeded refund fail later, and nothing leave failed or canceled', () => {
    assert.equal(canRefundTransition('succeeded', 'failed'), true);
    assert.equal(isFailureAfterSuccess('succeeded', 'failed'), true);
    assert.equal(isFailureAfterSuccess('pending', 'failed'), false);
    for (const to of REFUND_STATUSES) {
      assert.equal(canRefundTransition('failed', to), to === 'failed', `failed → ${to}`);
      assert.equal(canRefundTransition('canceled', to), to === 'canceled', `canceled → ${to}`);
      if (to !== 'succeeded' && to !== 'failed') assert.equal(canRefundTransition('succeeded', to), false, `succeeded → ${to}`);
    }
    assert.deepEqual(refundStatusesThatCanBecome('succeeded'), ['unknown', 'pending', 'requires_action', 'succeeded']);
    assert.deepEqual(refundStatusesThatCanBecome('pending'), ['unknown', 'pending', 'requires_action']);
  });
});
