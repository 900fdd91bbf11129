import type Stripe from 'stripe';
import type { ProcessorEvent, WebhookCodec } from '../processor-events.js';
import { toProcessorPaymentIntent, toProcessorRefund } from '../stripe-shapes.js';
import { fromSdkPaymentIntent, fromSdkRefund } from './stripe-objects.js';
import { verifyStripeEvent } from './webhook-signature.js';

/** The refund events: Stripe sends charge.refund.updated and refund.* with the same Refund object. */
const REFUND_EVENTS = new Set(['refund.created', 'refund.updated', 'refund.failed', 'charge.refund.updated']);

const idOf = (value: unknown): string | null =>
  typeof value === 'string' ? value : typeof (value as { id?: unknown } | null)?.id === 'string' ? (value as { id: string }).id : null;

/**
 * Reads a Stripe event's object into the service's shapes, through the same mappers the SDK's
 * answers go through. The simulated processor's events are Stripe's JSON too, so they are read here as well.
 */
export function interpretStripeEvent(payload: Record<string, unknown>): ProcessorEvent {
  const type = payload['type'] as string;
  const object = (payload['data'] as { object: Record<string, unknown> }).object;
  if (type.startsWith('payment_intent.') && object['object'] === 'payment_intent') {
    const pi = object as unknown as Stripe.PaymentIntent;
    return { kind: 'payment_intent', intent: toProcessorPaymentIntent(fromSdkPaymentIntent(pi)), metadata: pi.metadata ?? {} };
  }
  if (REFUND_EVENTS.has(type) && object['object'] === 'refund') {
    return { kind: 'refund', refund: toProcessorRefund(fromSdkRefund(object as unknown as Stripe.Refund)) };
  }
  if (type === 'charge.refunded' && object['object'] === 'charge') {
    const charge = object as unknown as Stripe.Charge;
    // Since API version 2022-11-15 a charge lists no refunds unless expanded: then the refund.* events tell them.
    const refunds = (charge.refunds?.data ?? []).map((refund) => toProcessorRefund(fromSdkRefund(refund)));
    return { kind: 'charge_refunds', paymentIntentId: idOf(charge.payment_intent), refunds };
  }
  if (type === 'charge.dispute.created' && object['object'] === 'dispute') {
    const dispute = object as unknown as Stripe.Dispute;
    return {
      kind: 'dispute',
      dispute: {
        id: dispute.id,
        chargeId: idOf(dispute.charge),
        paymentIntentId: idOf(dispute.payment_intent),
        amount: dispute.amount,
        currency: dispute.currency,
        reason: dispute.reason ?? null,
        status: dispute.status ?? null,
      },
    };
  }
  return { kind: 'unhandled' };
}

/** Stripe's events: signatures checked by the SDK, objects read by the shared mappers. */
export const stripeWebhookCodec: WebhookCodec = {
  verify: verifyStripeEvent,
  interpret: interpretStripeEvent,
};
