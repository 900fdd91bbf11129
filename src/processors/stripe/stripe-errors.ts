import Stripe from 'stripe';
import { processorErrorFrom, type StripeLikeError } from '../stripe-shapes.js';

type SdkError = InstanceType<typeof Stripe.errors.StripeError>;

/**
 * What the SDK threw, as a ProcessorError through the one mapping in stripe-shapes.ts. The SDK
 * already sorted the answer into classes; they are turned back into Stripe's wire terms (the error
 * `type` and the HTTP status) so the categories are decided in one place for both processors.
 * Anything that is not a Stripe error (a bug of ours) is answered unchanged.
 */
export function fromSdkError(error: unknown): unknown {
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  const wire: StripeLikeError = {
    type: wireType(error),
    code: error.code,
    decline_code: error.decline_code,
    message: error.message,
    param: error.param,
  };
  return processorErrorFrom(wire, wireStatus(error), error, error.headers?.['idempotent-replayed'] === 'true');
}

function wireType(error: SdkError): StripeLikeError['type'] {
  const { errors } = Stripe;
  if (error instanceof errors.StripeCardError) return 'card_error';
  if (error instanceof errors.StripeIdempotencyError) return 'idempotency_error';
  // No answer at all (connection lost, timeout, unreadable body): Stripe's side of the call is unknown.
  if (error instanceof errors.StripeConnectionError || error instanceof errors.StripeAPIError) return 'api_error';
  return 'invalid_request_error';
}

/** The status the class stands for; a rate limit can arrive as 400 `rate_limit`, a connection error has none. */
function wireStatus(error: SdkError): number {
  const { errors } = Stripe;
  if (error instanceof errors.StripeRateLimitError) return 429;
  if (error instanceof errors.StripeAuthenticationError) return 401;
  if (error instanceof errors.StripePermissionError) return 403;
  if (error instanceof errors.StripeCardError) return 402;
  return error.statusCode ?? 0;
}
