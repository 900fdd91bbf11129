import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_IDEMPOTENCY_KEY_LENGTH, processorKey } from '../../src/domain/processor-keys.js';

describe('processor idempotency keys', () => {
  it('keeps Stripe-sized ids readable, as they always were', () => {
    assert.equal(processorKey('pm-attach', 'cus_NffrFeUfNV2Hib', 'g0', 'pm_1MqLiJLkdIwHu7ixUEgbFdYF'), 'pm-attach:cus_NffrFeUfNV2Hib:g0:pm_1MqLiJLkdIwHu7ixUEgbFdYF');
    assert.equal(processorKey('pi-capture', '0b7a3c8e-1f2d-4e5f-8a9b-0c1d2e3f4a5b', 2), 'pi-capture:0b7a3c8e-1f2d-4e5f-8a9b-0c1d2e3f4a5b:2');
  });

  it('never passes 255 characters and stays one-to-one, whatever the ids (property)', () => {
    const id = fc.string({ minLength: 1, maxLength: 255 });
    fc.assert(
      fc.property(id, id, id, id, (a, b, c, d) => {
        const key = processorKey('customer-create', a, b, c, d);
        assert.ok(key.length <= MAX_IDEMPOTENCY_KEY_LENGTH, key);
        if (b !== c) assert.notEqual(key, processorKey('customer-create', a, c, c, d));
      }),
    );
    const long = `pm_${'x'.repeat(252)}`;
    assert.match(processorKey('pm-detach', long), /^pm-detach:~[A-Za-z0-9_-]{43}$/);
    assert.notEqual(processorKey('pm-detach', long), processorKey('pm-detach', `${long.slice(0, -1)}y`));
  });
});
