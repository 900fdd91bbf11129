-- Customers, saved cards, payments and refunds. Ids the clients see are the processor's
-- (cus_, pm_, pi_, re_); our own uuid keys exist so a row can be written before the processor
-- has answered, and so a retried call can be matched to the row that started it.

CREATE TABLE customers (
  id                    uuid PRIMARY KEY,
  processor_customer_id text UNIQUE,
  email                 text NOT NULL,
  email_normalized      text NOT NULL UNIQUE,
  name                  text,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payment_methods (
  id              text PRIMARY KEY,
  customer_id     uuid NOT NULL REFERENCES customers (id),
  card_brand      text NOT NULL,
  card_last4      text NOT NULL CHECK (card_last4 ~ '^[0-9]{4}$'),
  exp_month       smallint CHECK (exp_month BETWEEN 1 AND 12),
  exp_year        smallint CHECK (exp_year BETWEEN 2000 AND 2200),
  cardholder_name text,
  is_default      boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payment_methods_customer_idx ON payment_methods (customer_id, created_at);
-- A customer has at most one default card.
CREATE UNIQUE INDEX payment_methods_one_default_idx ON payment_methods (customer_id) WHERE is_default;

CREATE TABLE payments (
  id                          uuid PRIMARY KEY,
  processor                   text NOT NULL,
  processor_payment_intent_id text UNIQUE,
  customer_id                 uuid NOT NULL REFERENCES customers (id),
  payment_method_id           text NOT NULL,
  order_id                    text,
  amount                      bigint NOT NULL CHECK (amount > 0),
  currency                    text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  capture_method              text NOT NULL DEFAULT 'automatic' CHECK (capture_method IN ('automatic', 'manual')),
  -- 'unknown': written before the processor is called, or the processor's answer was lost;
  -- the others are Stripe's payment intent statuses.
  status                      text NOT NULL CHECK (status IN (
                                'unknown', 'requires_payment_method', 'requires_confirmation', 'requires_action',
                                'processing', 'requires_capture', 'succeeded', 'canceled')),
  amount_capturable           bigint NOT NULL DEFAULT 0 CHECK (amount_capturable >= 0),
  amount_received             bigint NOT NULL DEFAULT 0 CHECK (amount_received >= 0),
  description                 text,
  return_url                  text,
  client_secret               text,
  next_action                 jsonb,
  failure_code                text,
  decline_code                text,
  failure_message             text,
  capture_before              timestamptz,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id, created_at DESC);
CREATE INDEX payments_customer_idx ON payments (customer_id, created_at DESC);
-- An order is paid at most once: one payment per order may be in flight, awaiting the customer,
-- processing, authorized or succeeded. After a decline or a cancel, a new attempt is allowed.
CREATE UNIQUE INDEX payments_one_live_per_order_idx ON payments (order_id)
  WHERE order_id IS NOT NULL
    AND status IN ('unknown', 'requires_action', 'processing', 'requires_capture', 'succeeded');

CREATE TABLE refunds (
  id                  uuid PRIMARY KEY,
  processor_refund_id text UNIQUE,
  payment_id          uuid NOT NULL REFERENCES payments (id),
  amount              bigint NOT NULL CHECK (amount > 0),
  currency            text NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
  reason              text,
  -- 'unknown' as for payments; the others are Stripe's refund statuses.
  status              text NOT NULL CHECK (status IN (
                        'unknown', 'pending', 'requires_action', 'succeeded', 'failed', 'canceled')),
  failure_reason      text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_idx ON refunds (payment_id, created_at DESC);
