-- Exactly-once: the HTTP Idempotency-Key store, the reconciler's bookkeeping, and a history of
-- every payment status change.

-- A client's Idempotency-Key and the answer its first request got. `scope` is the caller, so two
-- callers never share a key. An in-progress row whose lease has passed was left by a dead process.
CREATE TABLE idempotency_keys (
  scope           text NOT NULL,
  key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  fingerprint     text NOT NULL,
  state           text NOT NULL CHECK (state IN ('in_progress', 'completed')),
  response_status integer,
  response_body   text,
  locked_until    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- A capture or cancel sent to the processor whose answer is not recorded yet, and the amount asked.
ALTER TABLE payments
  ADD COLUMN pending_operation text CHECK (pending_operation IN ('capture', 'cancel')),
  ADD COLUMN pending_amount bigint CHECK (pending_amount > 0),
  -- The reconciler's lease: while it is in the future, one instance is resolving this row.
  ADD COLUMN reconcile_after timestamptz;
ALTER TABLE refunds ADD COLUMN reconcile_after timestamptz;

CREATE INDEX payments_unresolved_idx ON payments (updated_at)
  WHERE status IN ('unknown', 'processing') OR pending_operation IS NOT NULL;
CREATE INDEX payments_authorized_idx ON payments (capture_before) WHERE status = 'requires_capture';
CREATE INDEX refunds_unresolved_idx ON refunds (updated_at) WHERE status IN ('unknown', 'pending');
CREATE INDEX payments_created_idx ON payments (created_at DESC, id DESC);

-- Every status change of a payment, written in the same transaction as the change.
CREATE TABLE payment_events (
  id          bigserial PRIMARY KEY,
  payment_id  uuid NOT NULL REFERENCES payments (id),
  from_status text,
  to_status   text NOT NULL,
  source      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_events_payment_idx ON payment_events (payment_id, id);
