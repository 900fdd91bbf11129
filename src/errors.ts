/**
 * The closed set of machine-readable error codes the API answers with, and the HTTP status of each.
 * Every error that leaves the service is an AppError by the time the error handler shapes it.
 */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_amount: 400,
  amount_below_minimum: 400,
  malformed_json: 400,
  refund_exceeds_amount: 400,
  payment_method_unusable: 400,
  processor_invalid_request: 400,
  idempotency_error: 400,
  idempotency_key_required: 400,
  card_data_not_allowed: 400,
  webhook_signature_invalid: 400,
  amount_mismatch: 400,
  unauthorized: 401,
  card_declined: 402,
  forbidden: 403,
  not_found: 404,
  customer_not_found: 404,
  payment_method_not_found: 404,
  payment_intent_not_found: 404,
  refund_not_found: 404,
  order_not_found: 404,
  outbox_entry_not_found: 404,
  quote_not_found: 404,
  method_not_allowed: 405,
  request_timeout: 408,
  order_already_paid: 409,
  invalid_state: 409,
  idempotency_in_progress: 409,
  quote_expired: 409,
  quote_used: 409,
  delivery_not_completed: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  rate_limited: 429,
  headers_too_large: 431,
  internal_error: 500,
  processor_misconfigured: 500,
  processor_unavailable: 503,
  service_unavailable: 503,
  dependency_unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Extra fields an error may carry beside `message` and `code` in the response body. */
export type ErrorDetails = Record<string, unknown>;

/** The one error type of the service: a code from the table, a message that says what to fix. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
    this.statusCode = ERROR_STATUS[code];
    this.details = details;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
