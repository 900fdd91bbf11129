import { deriveToken, tokenMatches } from '../../crypto/derived-token.js';
import type { StripeLikePaymentIntent } from '../stripe-shapes.js';
import { SimulatedStripeError } from './outcomes.js';
import type { ChallengePages } from './payment-intents.js';
import type { SimulatedStripe } from './simulated-stripe.js';

/** Where the service serves the simulated processor's 3-D Secure page: `<path>/<payment intent id>?challenge=...`. */
export const CHALLENGE_PAGE_PATH = '/payment/simulated/3ds';

const CHALLENGE_PURPOSE = 'simulated-3ds';

/**
 * The page's URL carries a value derived from the intent's client secret: only someone the service
 * gave the intent's `next_action` (or its client secret) can finish the challenge, and the secret
 * itself never travels in a URL, where logs and browser histories keep it.
 */
function challengeOf(pi: StripeLikePaymentIntent): string {
  return deriveToken(CHALLENGE_PURPOSE, pi.client_secret ?? pi.id);
}

/** The service's own page instead of Stripe's; `publicUrl` is read when a payment is confirmed (the port may be known only then). */
export function serviceChallengePages(publicUrl: () => string): ChallengePages {
  const url = (pi: StripeLikePaymentIntent) => `${publicUrl()}${CHALLENGE_PAGE_PATH}/${encodeURIComponent(pi.id)}?challenge=${challengeOf(pi)}`;
  return { redirect: url, sdk: url };
}

/** A payment intent as its 3-D Secure page shows it. */
export interface Challenge {
  paymentIntentId: string;
  amount: number;
  currency: string;
  status: StripeLikePaymentIntent['status'];
  /** Where the customer goes back to, while the challenge is open and the payment was given one. */
  returnUrl: string | null;
}

/** What finishing a challenge did: `finished` is false when it had been finished before (nothing changed). */
export interface FinishedChallenge extends Challenge {
  finished: boolean;
  passed: boolean;
  /** The return URL with Stripe's query parameters added, or null when there is none to go back to. */
  redirectTo: string | null;
}

/** What Stripe's test page does for a payment that requires action, on the simulated processor's own objects. */
export class SimulatedChallenges {
  constructor(private readonly engine: SimulatedStripe) {}

  /** The intent behind a challenge; null when there is none or the challenge value is not its own (answered alike, so ids cannot be probed). */
  async find(paymentIntentId: string, challenge: string | undefined): Promise<Challenge | null> {
    const pi = await this.retrieve(paymentIntentId);
    if (!pi || !tokenMatches(challengeOf(pi), challenge)) return null;
    return describe(pi);
  }

  /** Passes or fails the challenge, as the customer's bank would; a second answer leaves the first in place. */
  async finish(paymentIntentId: string, challenge: string | undefined, passed: boolean): Promise<FinishedChallenge | null> {
    const before = await this.find(paymentIntentId, challenge);
    if (!before) return null;
    let pi: StripeLikePaymentIntent;
    try {
      pi = await this.engine.completeAuthentication(paymentIntentId, passed);
    } catch (error) {
      // It requires no action any more: finished (or canceled) meanwhile.
      if (!(error instanceof SimulatedStripeError) || error.statusCode !== 400) throw error;
      const now = await this.retrieve(paymentIntentId);
      if (!now) return null;
      return { ...describe(now), finished: false, passed: now.status === 'succeeded' || now.status === 'requires_capture', redirectTo: null };
    }
    return {
      ...describe(pi),
      finished: true,
      passed,
      returnUrl: before.returnUrl,
      redirectTo: before.returnUrl ? returnLocation(before.returnUrl, pi, passed) : null,
    };
  }

  private async retrieve(id: string): Promise<StripeLikePaymentIntent | null> {
    try {
      return await this.engine.retrievePaymentIntent(id);
    } catch (error) {
      if (error instanceof SimulatedStripeError && error.statusCode === 404) return null;
      throw error;
    }
  }
}

function describe(pi: StripeLikePaymentIntent): Challenge {
  const redirect = (pi.next_action as { redirect_to_url?: { return_url?: unknown } } | null)?.redirect_to_url;
  return {
    paymentIntentId: pi.id,
    amount: pi.amount,
    currency: pi.currency,
    status: pi.status,
    returnUrl: typeof redirect?.return_url === 'string' ? redirect.return_url : null,
  };
}

/**
 * Stripe sends the customer back with `payment_intent`, `payment_intent_client_secret` and
 * `redirect_status` added to the return URL; only http(s) URLs are followed.
 */
function returnLocation(returnUrl: string, pi: StripeLikePaymentIntent, passed: boolean): string | null {
  let url: URL;
  try {
    url = new URL(returnUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  url.searchParams.set('payment_intent', pi.id);
  if (pi.client_secret) url.searchParams.set('payment_intent_client_secret', pi.client_secret);
  url.searchParams.set('redirect_status', passed ? 'succeeded' : 'failed');
  return url.href;
}
