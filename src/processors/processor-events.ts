import type { ProcessorPaymentIntent, ProcessorRefund } from './processor.js';

/** Where the service receives Stripe's events (and the simulated processor's, sent the same way). */
export const STRIPE_WEBHOOK_PATH = '/payment/webhooks/stripe';

/** An event as it arrived, verified: what is stored before anything is done with it. */
export interface VerifiedEvent {
  id: string;
  type: string;
  /** The id of the object the event is about (data.object.id), null when it has none. */
  objectId: string | null;
  /** The whole event, as the processor sent it. */
  payload: Record<string, unknown>;
}

/** A dispute a customer's bank opened on a charge. */
export interface ProcessorDispute {
  id: string;
  chargeId: string | null;
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  reason: string | null;
  status: string | null;
}

/**
 * What an event tells the service, in its own shapes: the object's state as the event carries it
 * (a snapshot, possibly older than the processor's current one) or `unhandled` for the rest.
 */
export type ProcessorEvent =
  | { kind: 'payment_intent'; intent: ProcessorPaymentIntent; metadata: Record<string, string> }
  | { kind: 'refund'; refund: ProcessorRefund }
  /** A charge's refunds, when the charge carries them (older API versions list them on the charge). */
  | { kind: 'charge_refunds'; paymentIntentId: string | null; refunds: ProcessorRefund[] }
  | { kind: 'dispute'; dispute: ProcessorDispute }
  | { kind: 'unhandled' };

/** Why an event was refused before it was stored. */
export class WebhookSignatureError extends Error {
  constructor(
    readonly reason: 'missing_header' | 'no_matching_signature' | 'timestamp_outside_tolerance' | 'not_an_event',
    message: string,
  ) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/** How a processor's events are read: verified on the raw body with the endpoint's secrets, then interpreted. */
export interface WebhookCodec {
  verify(rawBody: Buffer, signatureHeader: string | undefined, secrets: readonly string[]): VerifiedEvent;
  interpret(payload: Record<string, unknown>): ProcessorEvent;
}
