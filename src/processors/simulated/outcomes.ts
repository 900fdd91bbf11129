import type { StripeLikeError, StripeLikePaymentIntent } from '../stripe-shapes.js';
import type { CardOutcome } from './test-cards.js';

/** An error as Stripe would answer it: the HTTP status and the `error` object of the body. */
export class SimulatedStripeError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: StripeLikeError,
    /** Set when a confirmation was declined: the intent exists, in `requires_payment_method`. */
    readonly paymentIntent: StripeLikePaymentIntent | null = null,
  ) {
    super(error.message);
    this.name = 'SimulatedStripeError';
  }
}

/** What a simulated operation answers: its value, or Stripe's error (stored as is under an idempotency key). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; statusCode: number; error: StripeLikeError; paymentIntent?: StripeLikePaymentIntent };

export const missing = (type: string, id: string): Outcome<never> => ({
  ok: false,
  statusCode: 404,
  error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${type}: '${id}'`, param: 'id' },
});
export const invalid = (message: string, param?: string, code?: string): Outcome<never> => ({
  ok: false,
  statusCode: 400,
  error: { type: 'invalid_request_error', message, ...(param ? { param } : {}), ...(code ? { code } : {}) },
});
export const declined = (outcome: Extract<CardOutcome, { kind: 'decline' }>): StripeLikeError => ({
  type: 'card_error',
  code: outcome.code,
  decline_code: outcome.declineCode,
  message: outcome.message,
});

/** The value of an outcome, or its error thrown as Stripe's SDK would throw it. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new SimulatedStripeError(outcome.statusCode, outcome.error, outcome.paymentIntent ?? null);
}
