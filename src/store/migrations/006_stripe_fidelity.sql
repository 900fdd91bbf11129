-- Closer to what Stripe really does: fresh processor keys after a replayed failure, a key per card
-- generation, refunds watched after they succeeded, and the simulated processor's events.

-- A creation whose key only replays a stored 500 is sent again with a key of attempt n
-- (`pi-create:<id>:<n>`, `re-create:<id>:<n>`), once nothing was found for it at the processor.
ALTER TABLE payments ADD COLUMN create_attempt integer NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN create_attempt integer NOT NULL DEFAULT 0;

-- Bumped whenever one of the customer's cards is deleted: a card saved again after that is attached
-- with a key Stripe has not seen, so Stripe says the card is detached instead of replaying the old attach.
ALTER TABLE customers ADD COLUMN card_generation integer NOT NULL DEFAULT 0;

-- Succeeded refunds are looked at again for a while, because Stripe may still fail them.
CREATE INDEX refunds_succeeded_idx ON refunds (created_at) WHERE status = 'succeeded';

-- Stripe compares emails case-sensitively; the simulated processor now does too, by the exact email.
UPDATE simulated_processor_objects SET lookup_key = data->>'email' WHERE type = 'customer';

-- The events the simulated processor would send (Stripe's Event objects), in order; never changed.
CREATE TABLE simulated_processor_events (
  seq        bigserial PRIMARY KEY,
  id         text NOT NULL UNIQUE,
  type       text NOT NULL,
  data       jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
