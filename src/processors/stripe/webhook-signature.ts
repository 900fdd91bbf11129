import Stripe from 'stripe';
import { WebhookSignatureError, type VerifiedEvent } from '../processor-events.js';

/** How old a signed event may be (Stripe's own default): an older one may be a replay. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/**
 * Verifies the Stripe-Signature header on the raw body with each secret in turn (several while
 * one is rotated) through the SDK's `constructEvent`, and answers the event. The body must be the
 * bytes as received: a body parsed and serialized again no longer matches its signature.
 */
export function verifyStripeEvent(
  rawBody: Buffer,
  signatureHeader: string | undefined,
  secrets: readonly string[],
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): VerifiedEvent {
  if (!signatureHeader) {
    throw new WebhookSignatureError('missing_header', 'The Stripe-Signature header is missing: events are accepted only as Stripe signs them');
  }
  let stale = false;
  for (const secret of secrets) {
    let event: Stripe.Event;
    try {
      event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, secret, toleranceSeconds);
    } catch (error) {
      // The SDK checks the timestamp only once a signature matched: a stale event is a real one, replayed or late.
      if (error instanceof Error && /tolerance/i.test(error.message)) stale = true;
      if (error instanceof SyntaxError) throw notAnEvent();
      continue;
    }
    return verified(event as unknown as Record<string, unknown>);
  }
  if (stale) {
    throw new WebhookSignatureError(
      'timestamp_outside_tolerance',
      `The Stripe-Signature timestamp is more than ${toleranceSeconds} seconds away from now: a replayed or delayed event is refused (check the clock)`,
    );
  }
  throw new WebhookSignatureError(
    'no_matching_signature',
    'The Stripe-Signature header matches no signing secret of this endpoint (STRIPE_WEBHOOK_SECRET)',
  );
}

/** The Stripe-Signature header Stripe would send for `payload`: how the simulated processor and the tests sign events. */
export function signStripePayload(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

function notAnEvent(): WebhookSignatureError {
  return new WebhookSignatureError('not_an_event', 'The body is not a Stripe event: a JSON object with id, type and data.object');
}

function verified(event: Record<string, unknown>): VerifiedEvent {
  const data = event['data'] as { object?: unknown } | undefined;
  const object = data?.object;
  if (typeof event['id'] !== 'string' || typeof event['type'] !== 'string' || !object || typeof object !== 'object') throw notAnEvent();
  const objectId = (object as { id?: unknown }).id;
  // An intent's client secret lets a browser confirm it: the payment's row keeps it already, the event's copy is not stored.
  if ('client_secret' in object) (object as { client_secret: unknown }).client_secret = null;
  return { id: event['id'], type: event['type'], objectId: typeof objectId === 'string' ? objectId : null, payload: event };
}
