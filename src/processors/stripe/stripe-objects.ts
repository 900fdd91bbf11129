import type Stripe from 'stripe';
import {
  mapPaymentIntentStatus,
  mapRefundStatus,
  type StripeLikeCharge,
  type StripeLikeError,
  type StripeLikePaymentIntent,
  type StripeLikePaymentMethod,
  type StripeLikeRefund,
} from '../stripe-shapes.js';

// The SDK's types are wider than the shapes the shared mapping reads: ids may be expanded objects,
// enums are open strings. These functions narrow them (statuses through the same exhaustive
// switches), so the SDK's objects then go through exactly the mapping the simulated processor uses.

type Expandable = string | { id: string } | null;

const ERROR_TYPES: readonly StripeLikeError['type'][] = ['card_error', 'invalid_request_error', 'idempotency_error', 'api_error'];

const idOf = (value: Expandable): string | null => (typeof value === 'string' ? value : (value?.id ?? null));

export function fromSdkPaymentIntent(pi: Stripe.PaymentIntent): StripeLikePaymentIntent {
  const error = pi.last_payment_error;
  return {
    id: pi.id,
    object: 'payment_intent',
    amount: pi.amount,
    amount_capturable: pi.amount_capturable,
    amount_received: pi.amount_received,
    currency: pi.currency,
    customer: idOf(pi.customer),
    payment_method: idOf(pi.payment_method),
    status: mapPaymentIntentStatus(pi.status),
    capture_method: pi.capture_method === 'manual' ? 'manual' : pi.capture_method === 'automatic_async' ? 'automatic_async' : 'automatic',
    client_secret: pi.client_secret,
    description: pi.description,
    metadata: pi.metadata,
    next_action: pi.next_action ? { ...pi.next_action } : null,
    last_payment_error: error
      ? {
          type: ERROR_TYPES.find((type) => type === error.type) ?? 'api_error',
          code: error.code,
          decline_code: error.decline_code,
          message: error.message ?? 'Your card was declined.',
          param: error.param,
        }
      : null,
    latest_charge: typeof pi.latest_charge === 'object' && pi.latest_charge !== null ? fromSdkCharge(pi.latest_charge) : pi.latest_charge,
    created: pi.created,
    canceled_at: pi.canceled_at,
    cancellation_reason: pi.cancellation_reason,
  };
}

/** An expanded `latest_charge`: what the shared mapping reads of it (the authorization's deadline). */
export function fromSdkCharge(charge: Stripe.Charge): StripeLikeCharge {
  const details = charge.payment_method_details;
  return {
    id: charge.id,
    object: 'charge',
    amount: charge.amount,
    amount_captured: charge.amount_captured,
    captured: charge.captured,
    currency: charge.currency,
    payment_intent: idOf(charge.payment_intent),
    status: charge.status === 'succeeded' ? 'succeeded' : charge.status === 'pending' ? 'pending' : 'failed',
    payment_method_details: details
      ? {
          type: details.type,
          card: details.card
            ? { brand: details.card.brand, last4: details.card.last4, capture_before: details.card.capture_before }
            : null,
        }
      : null,
    created: charge.created,
  };
}

export function fromSdkPaymentMethod(pm: Stripe.PaymentMethod): StripeLikePaymentMethod {
  const card = pm.card;
  return {
    id: pm.id,
    object: 'payment_method',
    type: 'card',
    card: card
      ? {
          brand: card.brand,
          last4: card.last4,
          exp_month: card.exp_month,
          exp_year: card.exp_year,
          funding: card.funding,
          country: card.country,
        }
      : null,
    billing_details: { name: pm.billing_details.name, email: pm.billing_details.email },
    customer: idOf(pm.customer),
    created: pm.created,
    metadata: pm.metadata ?? {},
  };
}

export function fromSdkRefund(refund: Stripe.Refund): StripeLikeRefund {
  return {
    id: refund.id,
    object: 'refund',
    amount: refund.amount,
    currency: refund.currency,
    payment_intent: idOf(refund.payment_intent),
    reason: refund.reason,
    status: mapRefundStatus(refund.status),
    failure_reason: refund.failure_reason ?? null,
    metadata: refund.metadata ?? {},
    created: refund.created,
  };
}
