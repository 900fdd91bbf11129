-- State of the simulated payment processor (PAYMENT_PROCESSOR=simulated): Stripe-shaped objects
-- kept as JSON, and the idempotency keys it has seen. Unused when the service talks to Stripe.

CREATE TABLE simulated_processor_objects (
  id         text PRIMARY KEY,
  type       text NOT NULL CHECK (type IN ('customer', 'payment_method', 'payment_intent', 'refund')),
  -- customer: lower-cased email; payment_method and payment_intent: customer id; refund: payment intent id
  lookup_key text,
  data       jsonb NOT NULL,
  seq        bigserial NOT NULL
);
CREATE INDEX simulated_processor_objects_lookup_idx ON simulated_processor_objects (type, lookup_key, seq);

CREATE TABLE simulated_processor_idempotency_keys (
  key         text PRIMARY KEY,
  fingerprint text NOT NULL,
  response    jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
