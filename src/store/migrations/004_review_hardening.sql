-- The idempotency key's owner (each claim, a takeover included, gets a new one, so a late finish of
-- a request that lost its key cannot overwrite the answer of the request that took it over) and
-- its seed (rows are derived from key and seed, so a key used again after it was forgotten makes
-- new rows instead of finding the old ones).
ALTER TABLE idempotency_keys
  ADD COLUMN owner uuid,
  ADD COLUMN seed uuid NOT NULL DEFAULT gen_random_uuid();

-- Each capture or cancel attempt gets its own processor idempotency key, so an attempt the
-- processor refused does not block the next one.
ALTER TABLE payments ADD COLUMN operation_attempt integer NOT NULL DEFAULT 0;

-- Payments waiting for the customer (3-D Secure) are refreshed by the reconciler.
CREATE INDEX payments_awaiting_customer_idx ON payments (updated_at)
  WHERE status IN ('requires_action', 'requires_confirmation');
