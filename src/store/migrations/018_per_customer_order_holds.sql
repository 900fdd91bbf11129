-- Who a live payment holds its order against. A payment made with a customer's own (user) token
-- holds the order against that customer only ('customer'): another customer naming the same order
-- id is neither blocked nor shown anything. A payment made by a service (the Order Service's
-- order.write token, payment.write) or an administrator holds it against everyone ('order'), as
-- every payment did before; rows written before this migration keep that meaning.
ALTER TABLE payments ADD COLUMN order_hold text NOT NULL DEFAULT 'order'
  CHECK (order_hold IN ('customer', 'order'));

-- One live payment per customer and order, whoever made it (the statuses and exceptions of 015):
-- a customer paying twice, or the Order Service paying for a customer who already pays, is refused.
DROP INDEX payments_one_live_per_order_idx;
CREATE UNIQUE INDEX payments_one_live_per_customer_order_idx ON payments (order_id, customer_id)
  WHERE order_id IS NOT NULL AND superseded_by IS NULL
    AND (status IN ('unknown', 'requires_action', 'processing', 'requires_capture', 'succeeded')
         OR (payment_method_id IS NULL AND status IN ('requires_payment_method', 'requires_confirmation')));

-- And one order-wide hold per order. A customer's own payment made after it is refused by the
-- insert itself (src/store/payments-repository.ts): an order-wide hold is not blocked by a hold
-- another customer took earlier with a user token, so no stranger can keep the Order Service
-- from paying an order.
CREATE UNIQUE INDEX payments_one_order_wide_hold_idx ON payments (order_id)
  WHERE order_id IS NOT NULL AND superseded_by IS NULL AND order_hold = 'order'
    AND (status IN ('unknown', 'requires_action', 'processing', 'requires_capture', 'succeeded')
         OR (payment_method_id IS NULL AND status IN ('requires_payment_method', 'requires_confirmation')));
