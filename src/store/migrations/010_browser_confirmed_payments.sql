-- Stripe's browser-confirmed flow: the intent is created before the customer has picked a card,
-- and Stripe.js confirms it in the browser with a payment method we never see on its way in. Such
-- a payment has no payment method on its row.
ALTER TABLE payments ALTER COLUMN payment_method_id DROP NOT NULL;

-- A browser-confirmed payment holds its order while it waits for a payment method (before the
-- first card, and after a declined one): its client secret is in a browser that may confirm it at
-- any moment, so a second intent for the order could be charged as well. It stops holding the order
-- when it is canceled (by a new payment for the order, or when abandoned). A payment the service
-- confirmed itself that ends in requires_payment_method (a decline) frees its order, as before.
DROP INDEX payments_one_live_per_order_idx;
CREATE UNIQUE INDEX payments_one_live_per_order_idx ON payments (order_id)
  WHERE order_id IS NOT NULL
    AND (status IN ('unknown', 'requires_action', 'processing', 'requires_capture', 'succeeded')
         OR (payment_method_id IS NULL AND status IN ('requires_payment_method', 'requires_confirmation')));

-- Browser-confirmed payments waiting for the customer are refreshed by the reconciler, as 3-D Secure ones are.
CREATE INDEX payments_awaiting_browser_idx ON payments (updated_at)
  WHERE payment_method_id IS NULL AND status = 'requires_payment_method';
