import type { LedgerTransaction } from '../../store/simulated-ledger.js';
import type { StripeLikePaymentIntent } from '../stripe-shapes.js';
import { stripeLikeId } from './ids.js';

/** A Stripe Event object, as Stripe sends it to a webhook endpoint. */
export interface StripeLikeEvent<T = unknown> {
  id: string;
  object: 'event';
  api_version: string | null;
  created: number;
  type: string;
  data: { object: T };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
}

/**
 * Records the events Stripe would send for a change of `object`, in Stripe's order, each with a
 * copy of the object as it is now. The engine only keeps them; delivering them is not its job.
 */
export async function recordEvents(tx: LedgerTransaction, types: readonly string[], object: unknown, created: number): Promise<void> {
  for (const type of types) {
    const event: StripeLikeEvent = {
      id: stripeLikeId('evt'),
      object: 'event',
      api_version: null,
      created,
      type,
      data: { object: structuredClone(object) },
      livemode: false,
      pending_webhooks: 0,
      request: { id: null, idempotency_key: null },
    };
    await tx.appendEvent(event);
  }
}

/** The events Stripe sends when an intent reaches its current status (after a confirmation, capture, cancel or 3-D Secure). */
export function paymentIntentEventTypes(pi: StripeLikePaymentIntent): string[] {
  switch (pi.status) {
    case 'succeeded':
      return ['payment_intent.succeeded'];
    case 'requires_capture':
      return ['payment_intent.amount_capturable_updated'];
    case 'requires_action':
      return ['payment_intent.requires_action'];
    case 'requires_payment_method':
      return pi.last_payment_error ? ['payment_intent.payment_failed'] : [];
    case 'canceled':
      return ['payment_intent.canceled'];
    case 'processing':
      return ['payment_intent.processing'];
    case 'requires_confirmation':
      return [];
  }
}
