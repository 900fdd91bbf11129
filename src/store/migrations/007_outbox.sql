-- The Order Service hears of payments through a transactional outbox: a row is written in the same
-- transaction as the payment's status change, and a relay delivers it.

-- The bearer token of the request that created the payment, sealed (AES-256-GCM, `enc:v1:...`),
-- kept only until its notification is queued: it is forwarded to the Order Service.
ALTER TABLE payments ADD COLUMN notify_token text CHECK (notify_token LIKE 'enc:v1:%');

CREATE TABLE outbox (
  id              bigserial PRIMARY KEY,
  event           text NOT NULL CHECK (event IN ('payment_succeeded', 'payment_failed')),
  order_id        text NOT NULL,
  payment_id      uuid NOT NULL REFERENCES payments (id),
  -- What is sent: {"orderId", "status"}.
  payload         jsonb NOT NULL,
  -- The forwarded bearer token, sealed; erased once the row is delivered or dead.
  auth_token      text CHECK (auth_token LIKE 'enc:v1:%'),
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- The relay's lease: while it is in the future, one instance is sending this row.
  locked_until    timestamptz,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'pending') OR auth_token IS NULL)
);
-- A payment is reported succeeded once, and failed once.
CREATE UNIQUE INDEX outbox_one_event_per_payment_idx ON outbox (payment_id, event);
-- Delivery is in order per order: the relay takes the oldest pending row of each order.
CREATE INDEX outbox_pending_idx ON outbox (order_id, id) WHERE status = 'pending';
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_status_idx ON outbox (status, id DESC);
