-- One live payment per order, with both exceptions made since migration 001: a superseded payment
-- (009: a late success while another holds the order) never holds it, and a browser-confirmed
-- payment waiting for its card (010) does.
DROP INDEX payments_one_live_per_order_idx;
CREATE UNIQUE INDEX payments_one_live_per_order_idx ON payments (order_id)
  WHERE order_id IS NOT NULL AND superseded_by IS NULL
    AND (status IN ('unknown', 'requires_action', 'processing', 'requires_capture', 'succeeded')
         OR (payment_method_id IS NULL AND status IN ('requires_payment_method', 'requires_confirmation')));
