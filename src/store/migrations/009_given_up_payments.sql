-- Payments the service gave up on (a decline, a failed 3-D Secure) are canceled at the processor,
-- and one that succeeds there all the same after its order was paid again is recorded as it is,
-- marked as superseded by the payment that holds the order, then refunded.

-- The payment that held the order when this one was reported live (succeeded, authorized, awaiting
-- the customer) at the processor after the service had given up on it. Set in the same transaction
-- as that status, under the lock of the holder's row; never cleared.
ALTER TABLE payments ADD COLUMN superseded_by uuid REFERENCES payments (id);

-- One live payment per order, as in migration 001, superseded ones apart: a late success can
-- always be recorded, and never takes the order from its holder.
DROP INDEX payments_one_live_per_order_idx;
CREATE UNIQUE INDEX payments_one_live_per_order_idx ON payments (order_id)
  WHERE order_id IS NOT NULL AND superseded_by IS NULL
    AND status IN ('unknown', 'requires_action', 'processing', 'requires_capture', 'succeeded');

-- What the reconciler looks for besides migration 003's rows: given-up intents not canceled yet at
-- the processor (a crash between the decline and the cancel), and superseded payments to settle.
CREATE INDEX payments_given_up_idx ON payments (updated_at)
  WHERE status = 'requires_payment_method' AND processor_payment_intent_id IS NOT NULL AND failure_code IS NOT NULL;
CREATE INDEX payments_superseded_idx ON payments (updated_at) WHERE superseded_by IS NOT NULL;
