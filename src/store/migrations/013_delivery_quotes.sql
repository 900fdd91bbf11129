-- Delivery fee quotes, the payments bound to them, and the delivery events that release their capture.

-- A price for one trip, fixed for QUOTE_TTL_SECONDS. Amounts in integer minor units of `currency`.
CREATE TABLE delivery_quotes (
  id                text PRIMARY KEY,
  from_address      text,
  to_address        text,
  -- The distance as the Location Service (or the caller) gave it, in its decimal form: the fare is computed from these digits.
  distance_km       text NOT NULL,
  duration_minutes  numeric,
  vehicle_type      text NOT NULL,
  currency          text NOT NULL,
  cost              bigint NOT NULL CHECK (cost >= 0),
  tax               bigint NOT NULL CHECK (tax >= 0),
  total             bigint NOT NULL CHECK (total = cost + tax),
  rider_commission  bigint NOT NULL CHECK (rider_commission >= 0),
  created_at        timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  -- The one order this quote pays for, set by the first payment that carries it.
  order_id          text
);

-- A payment's terms: the quote it pays (with the breakdown as charged) and when it is captured.
ALTER TABLE payments ADD COLUMN quote_id text REFERENCES delivery_quotes (id);
ALTER TABLE payments ADD COLUMN quote_breakdown jsonb;
ALTER TABLE payments ADD COLUMN capture_on text CHECK (capture_on IN ('delivery'));
CREATE INDEX payments_capture_on_delivery_idx ON payments (order_id) WHERE capture_on = 'delivery';

-- What the platform reported of an order's trip; one row per (payment, status): the same event twice is one row.
CREATE TABLE delivery_events (
  id           bigserial PRIMARY KEY,
  payment_id   uuid NOT NULL REFERENCES payments (id),
  order_id     text NOT NULL,
  status       text NOT NULL,
  -- 'event': POST /payment/delivery-events; 'check': DELIVERY_CHECK_URL answered it.
  source       text NOT NULL CHECK (source IN ('event', 'check')),
  received_at  timestamptz NOT NULL,
  UNIQUE (payment_id, status)
);
