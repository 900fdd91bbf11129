-- The processor's events (Stripe webhooks), kept as they arrived. The event id is the key, so an
-- event delivered twice is stored once; the work it asks for is done after the row is committed,
-- and a row still unprocessed is taken up again by the reconciler (a crash after the commit loses nothing).
CREATE TABLE webhook_events (
  id           text PRIMARY KEY,
  type         text NOT NULL,
  -- The id of data.object (pi_..., re_..., ch_..., dp_...), to find every event of one object.
  object_id    text,
  payload      jsonb NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  -- What processing did: applied, unchanged, ignored (an object or type we do not handle), recorded.
  outcome      text,
  attempts     integer NOT NULL DEFAULT 0,
  last_error   text,
  -- A lease: while in the future, one worker has the event and no other takes it.
  lease_until  timestamptz
);
CREATE INDEX webhook_events_unprocessed_idx ON webhook_events (received_at) WHERE processed_at IS NULL;
CREATE INDEX webhook_events_object_idx ON webhook_events (object_id, received_at);

-- The simulated processor now delivers its events to the service's webhook endpoint. Events
-- recorded before delivery existed are taken as delivered, so an upgrade sends no backlog.
ALTER TABLE simulated_processor_events ADD COLUMN delivered_at timestamptz;
UPDATE simulated_processor_events SET delivered_at = created_at;
CREATE INDEX simulated_processor_events_undelivered_idx ON simulated_processor_events (seq) WHERE delivered_at IS NULL;
