-- Who changed money or cards, what, when, from which request: one row per change the API made,
-- written before its answer leaves. Append-only: rows are never updated or deleted.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  request_id  text NOT NULL,
  -- The principal: 'user' (a customer or an administrator's user token) or 'service' (a client-credentials token).
  actor_kind  text NOT NULL CHECK (actor_kind IN ('user', 'service')),
  -- Its subject, or its client id; admin when it holds the admin role.
  actor       text,
  actor_admin boolean NOT NULL DEFAULT false,
  action      text NOT NULL,
  -- The HTTP status it was answered with (2xx, or 402 for a declined charge, which is recorded too).
  status      integer NOT NULL,
  -- The ids it touched: payment_intent_id, refund_id, customer_id, payment_method_id, order_id, outbox_id.
  target      jsonb NOT NULL DEFAULT '{}'::jsonb,
  amount      bigint,
  currency    text
);
CREATE INDEX audit_log_at_idx ON audit_log (id DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
