-- The W3C traceparent of the request that created a payment, carried to its Order Service
-- notification, so the relay's call later joins the trace of the payment that caused it.
ALTER TABLE payments ADD COLUMN traceparent text CHECK (traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}');
ALTER TABLE outbox ADD COLUMN traceparent text;
