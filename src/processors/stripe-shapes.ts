import type { KnownPaymentStatus } from '../domain/payment-state.js';
import {
  ProcessorError,
  type ProcessorPaymentIntent,
  type ProcessorPaymentMethod,
  type ProcessorRefund,
  type ProcessorRefundStatus,
} from './processor.js';

// The parts of Stripe's objects the service reads. The simulated processor produces these shapes
// itself and the Stripe processor receives them from the SDK, so both map through the same code.

export interface StripeLikeCustomer {
  id: string;
  object: 'customer';
  email: string | null;
  name: string | null;
  metadata: Record<string, string>;
  invoice_settings: { default_payment_method: string | null };
  created: number;
}

export interface StripeLikePaymentMethod {
  id: string;
  object: 'payment_method';
  type: 'card';
  card: { brand: string; last4: string; exp_month: number; exp_year: number; funding: string; country: string | null } | null;
  billing_details: { name: string | null; email: string | null };
  customer: string | null;
  created: number;
  metadata: Record<string, string>;
}

export interface StripeLikeError {
  type: 'card_error' | 'invalid_request_error' | 'idempotency_error' | 'api_error';
  code?: string | undefined;
  decline_code?: string | undefined;
  message: string;
  param?: string | undefined;
}

export interface StripeLikePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  currency: string;
  customer: string | null;
  payment_method: string | null;
  status: KnownPaymentStatus;
  capture_method: 'automatic' | 'automatic_async' | 'manual';
  client_secret: string | null;
  description: string | null;
  metadata: Record<string, string>;
  next_action: Record<string, unknown> | null;
  last_payment_error: (StripeLikeError & { payment_method?: unknown }) | null;
  /** The charge's id; the charge itself when asked with `expand[]=latest_charge`. */
  latest_charge: string | StripeLikeCharge | null;
  created: number;
  canceled_at: number | null;
  cancellation_reason: string | null;
}

/** The parts of a Charge the service reads: for a card authorization, when it lapses if it is not captured. */
export interface StripeLikeCharge {
  id: string;
  object: 'charge';
  amount: number;
  amount_captured: number;
  captured: boolean;
  currency: string;
  payment_intent: string | null;
  status: 'succeeded' | 'pending' | 'failed';
  payment_method_details: {
    type: string;
    card?: { brand: string | null; last4: string | null; capture_before?: number | undefined } | null | undefined;
  } | null;
  created: number;
}

export interface StripeLikeRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  payment_intent: string | null;
  reason: string | null;
  status: ProcessorRefundStatus | null;
  failure_reason?: string | null;
  metadata: Record<string, string>;
  created: number;
}

export function mapPaymentIntentStatus(status: string): KnownPaymentStatus {
  switch (status) {
    case 'requires_payment_method':
    case 'requires_confirmation':
    case 'requires_action':
    case 'processing':
    case 'requires_capture':
    case 'succeeded':
    case 'canceled':
      return status;
    default:
      // The processor acted, but we cannot tell how: an outcome to settle later, never a refusal.
      throw new ProcessorError('unavailable', `The processor answered an unknown payment status "${status}"`);
  }
}

export function toProcessorPaymentIntent(pi: StripeLikePaymentIntent): ProcessorPaymentIntent {
  const status = mapPaymentIntentStatus(pi.status);
  const error = pi.last_payment_error;
  return {
    id: pi.id,
    status,
    amount: pi.amount,
    currency: pi.currency,
    amountCapturable: pi.amount_capturable,
    amountReceived: pi.amount_received,
    captureMethod: pi.capture_method === 'manual' ? 'manual' : 'automatic',
    clientSecret: pi.client_secret,
    nextAction: pi.next_action,
    lastError: error
      ? { code: error.code ?? 'card_declined', declineCode: error.decline_code ?? null, message: error.message }
      : null,
    captureBefore: status === 'requires_capture' ? captureBeforeOf(pi.latest_charge) : null,
  };
}

/**
 * When an authorization lapses, as the processor says: `payment_method_details.card.capture_before`
 * of the intent's latest charge (expanded). Null when the charge is not expanded or says nothing:
 * the deadline is never guessed.
 */
function captureBeforeOf(charge: StripeLikePaymentIntent['latest_charge']): Date | null {
  if (charge === null || typeof charge === 'string') return null;
  const seconds = charge.payment_method_details?.card?.capture_before;
  return typeof seconds === 'number' ? new Date(seconds * 1000) : null;
}

export function toProcessorPaymentMethod(pm: StripeLikePaymentMethod): ProcessorPaymentMethod {
  return {
    id: pm.id,
    customerId: pm.customer,
    brand: pm.card?.brand ?? 'unknown',
    last4: pm.card?.last4 ?? '0000',
    expMonth: pm.card?.exp_month ?? null,
    expYear: pm.card?.exp_year ?? null,
    cardholderName: pm.billing_details.name,
  };
}

export function mapRefundStatus(status: string | null): ProcessorRefundStatus {
  switch (status) {
    case 'pending':
    case 'requires_action':
    case 'succeeded':
    case 'failed':
    case 'canceled':
      return status;
    case null:
      return 'pending';
    default:
      throw new ProcessorError('unavailable', `The processor answered an unknown refund status "${status}"`);
  }
}

export function toProcessorRefund(refund: StripeLikeRefund): ProcessorRefund {
  return {
    id: refund.id,
    paymentIntentId: refund.payment_intent ?? '',
    amount: refund.amount,
    currency: refund.currency,
    status: mapRefundStatus(refund.status),
    failureReason: refund.failure_reason ?? null,
    metadata: refund.metadata,
  };
}

/** True when `metadata` holds every entry of `wanted`: how our row ids are found on Stripe's objects. */
export function metadataHolds(metadata: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => metadata[key] === value);
}

/**
 * Stripe's words for a payment method that was detached (or used once without a customer): it can
 * never be attached or charged again. Stripe gives this refusal no code of its own.
 */
const UNUSABLE_PAYMENT_METHOD = /(was detached from a Customer|may not be used again)/i;

/** Our code for that refusal, set on the ProcessorError so the service can answer it as such. */
export const PAYMENT_METHOD_UNUSABLE = 'payment_method_unusable';

/**
 * One mapping from a Stripe-shaped error (and its HTTP status) to our categories. `replayed`: the
 * answer came from Stripe's idempotency store (`Idempotent-Replayed: true`).
 */
export function processorErrorFrom(error: StripeLikeError, httpStatus: number, cause?: unknown, replayed = false): ProcessorError {
  const unusable = error.type === 'invalid_request_error' && UNUSABLE_PAYMENT_METHOD.test(error.message);
  const code = unusable ? PAYMENT_METHOD_UNUSABLE : (error.code ?? null);
  const details = { code, declineCode: error.decline_code ?? null, param: error.param ?? null, replayed, cause };
  if (error.type === 'card_error') return new ProcessorError('card_declined', error.message, details);
  if (error.type === 'idempotency_error') return new ProcessorError('idempotency', error.message, details);
  if (httpStatus === 404 || error.code === 'resource_missing') return new ProcessorError('not_found', error.message, details);
  if (httpStatus === 401 || httpStatus === 403) return new ProcessorError('authentication', error.message, details);
  if (httpStatus === 429) return new ProcessorError('rate_limited', error.message, details);
  if (httpStatus >= 500 || error.type === 'api_error') return new ProcessorError('unavailable', error.message, details);
  return new ProcessorError('invalid_request', error.message, details);
}
