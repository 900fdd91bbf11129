import type { ErrorCode } from '../../errors.js';

/** What an error answer of one code looks like, beside `success: false` and the code itself. */
export interface ErrorExample {
  summary: string;
  message: string;
  /** The extra fields that code carries (`param`, `decline_code`, `amount_remaining`...). */
  fields?: Record<string, unknown>;
}

/**
 * One example answer per error code, shown in the API document under every status a route
 * documents. Typed against the code table, so a new code does not compile until it has one.
 */
export const ERROR_EXAMPLES = {
  validation_failed: {
    summary: 'A field is missing or malformed',
    message: 'email must be a valid email',
    fields: { param: 'email' },
  },
  invalid_amount: {
    summary: 'A decimal amount',
    message: 'amount must be an integer number of minor units: 65.22 USD is 6522',
    fields: { param: 'amount', suggested_amount: 6522 },
  },
  amount_below_minimum: {
    summary: 'Less than the processor charges',
    message: 'amount must be at least 50 (0.50 USD), the smallest charge the processor accepts',
    fields: { param: 'amount', minimum_amount: 50 },
  },
  malformed_json: { summary: 'The body is not JSON', message: 'The body is not valid JSON' },
  refund_exceeds_amount: {
    summary: 'More than is left to refund',
    message: 'amount 3000 exceeds what is left to refund (1500)',
    fields: { param: 'amount', amount_remaining: 1500 },
  },
  payment_method_unusable: {
    summary: 'The card was detached and can never be used again',
    message: 'This card was removed (detached at the processor) and can never be used again: collect the card anew, which gives it a new pm_ id',
    fields: { param: 'paymentMethodId' },
  },
  processor_invalid_request: {
    summary: 'The processor refused the request',
    message: 'The currency xts is not supported',
    fields: { param: 'currency' },
  },
  idempotency_error: {
    summary: 'A key reused with other parameters',
    message: 'Idempotency-Key "order-1234-attempt-1" was first used with other parameters; use a new key for a different request',
  },
  idempotency_key_required: {
    summary: 'A refund sent without an Idempotency-Key header',
    message:
      'Send an Idempotency-Key header (a new UUID per refund, the same one when retrying it), so that a retried refund can ' +
      'never refund twice; only the Order Service\'s {orderId} form, which refunds the whole order once, needs none',
  },
  card_data_not_allowed: {
    summary: 'A card number or security code was sent',
    message:
      'cardNumber holds card data (a card number or security code), which this service never accepts: collect the card with ' +
      'Stripe.js (Elements or stripe.createPaymentMethod) and send the pm_... id it answers as paymentMethodId',
    fields: { param: 'cardNumber' },
  },
  unauthorized: { summary: 'No valid bearer token', message: 'Authentication required: send Authorization: Bearer <token>' },
  card_declined: {
    summary: 'The card was declined',
    message: 'Your card has insufficient funds.',
    fields: { decline_code: 'insufficient_funds', payment_intent_id: 'pi_1234567890' },
  },
  forbidden: { summary: 'The token may not do this', message: 'Needs the admin role or the payment.write scope' },
  not_found: { summary: 'No such route', message: 'No route GET /payment/nothing; see /payment/api-docs' },
  customer_not_found: { summary: 'No such customer', message: 'No customer with email customer@example.com' },
  payment_method_not_found: {
    summary: 'No such saved card',
    message: 'Customer cus_1234567890 has no saved payment method pm_1234567890',
  },
  payment_intent_not_found: { summary: 'No such payment', message: 'No payment intent pi_1234567890' },
  refund_not_found: { summary: 'No such refund', message: 'No refund re_1234567890' },
  order_not_found: { summary: 'No payment for the order', message: 'Order order_1234567890 has no succeeded payment to refund' },
  outbox_entry_not_found: { summary: 'No such notification', message: 'No outbox entry 42' },
  method_not_allowed: { summary: 'The path exists, the method does not', message: 'PATCH is not allowed on /payment/customer' },
  order_already_paid: {
    summary: 'The order already has a payment',
    message: 'Order order_1234567890 is already paid; it cannot be charged twice',
    fields: { payment_intent_id: 'pi_1234567890', status: 'succeeded' },
  },
  invalid_state: {
    summary: 'Not possible in the payment\'s status',
    message: 'A payment that is succeeded cannot become canceled',
    fields: { status: 'succeeded' },
  },
  idempotency_in_progress: {
    summary: 'The first request with this key is still running',
    message: 'A request with Idempotency-Key "order-1234-attempt-1" is still being processed; retry later',
  },
  payload_too_large: { summary: 'The body is too large', message: 'The request body is larger than this service accepts' },
  unsupported_media_type: {
    summary: 'The body is not JSON',
    message: 'Send the body as JSON with Content-Type: application/json',
  },
  rate_limited: {
    summary: 'Too many requests from this caller (see Retry-After)',
    message: 'Too many writes from this caller: retry after 12 s',
    fields: { retry_after_seconds: 12 },
  },
  request_timeout: { summary: 'The request was not received in time', message: 'The request was not received in time' },
  uri_too_long: { summary: 'A path parameter is too long', message: 'A path parameter is longer than 1024 characters' },
  headers_too_large: {
    summary: 'The request line and headers are too large',
    message: 'The request line and headers are larger than this service accepts (16 KB)',
  },
  internal_error: { summary: 'A fault of the service', message: 'Internal server error' },
  processor_misconfigured: {
    summary: 'The processor refused the service\'s credentials',
    message: 'The payment processor is not configured correctly; the operators have been alerted',
  },
  processor_unavailable: {
    summary: 'The processor did not answer; the outcome is not known yet',
    message: 'The payment processor is unavailable; the payment is recorded and will be settled, follow it with GET /payment/payment-intent/pi_1234567890',
    fields: { payment_intent_id: 'pi_1234567890' },
  },
  webhook_signature_invalid: {
    summary: 'An event not signed with the endpoint\'s secret, or signed too long ago',
    message: 'The Stripe-Signature header matches no signing secret of this endpoint (STRIPE_WEBHOOK_SECRET)',
  },
  amount_mismatch: {
    summary: 'The amount is not the quote\'s total',
    message: 'amount 2400 does not match quote quo_1234567890abcdef\'s total 2576 (25.76 USD): charge the quoted total, or get a new quote',
    fields: { param: 'amount', quote_total: 2576 },
  },
  quote_not_found: { summary: 'No such quote', message: 'No delivery fee quote quo_1234567890abcdef' },
  quote_expired: {
    summary: 'The quote is past its expiry',
    message: 'Quote quo_1234567890abcdef expired at 2026-01-01T12:15:00.000Z: get a new quote (POST /payment/delivery-fee)',
  },
  quote_used: {
    summary: 'The quote already pays another order',
    message: 'Quote quo_1234567890abcdef already pays order order_1234567890; a quote pays one order: get a new quote',
  },
  delivery_not_completed: {
    summary: 'The payment is captured on delivery, which is not reported yet',
    message: 'Payment pi_1234567890 is captured when order order_1234567890 is delivered, and no DELIVERED event has been recorded for it',
  },
  dependency_unavailable: {
    summary: 'A service this one asks did not answer usefully',
    message: 'The Location Service did not answer within 3000 ms; try again, or send distanceKm',
  },
  service_unavailable: { summary: 'A dependency does not answer', message: 'The database does not answer' },
} as const satisfies Record<ErrorCode, ErrorExample>;
