import { SimulatedStripe } from '../../src/processors/simulated/simulated-stripe.js';
import type { Database } from '../../src/store/database.js';
import { SimulatedLedger } from '../../src/store/simulated-ledger.js';

/** Where a Stripe-compatible API answers, and the key it takes: the test server, or Stripe's test mode. */
export interface StripeEndpoint {
  url: string;
  secretKey: string;
}

export const STRIPE_API = 'https://api.stripe.com';

/** Makes a card PaymentMethod as the customer's browser would. Resolves to its `pm_` id. */
export type NewCard = (token?: string) => Promise<string>;

/**
 * What Stripe.js does in the browser, against a Stripe API: `POST /v1/payment_methods` with a test
 * token (`tok_visa`, `tok_refundFail`...), a new card attached to no one, whose id attaches as
 * itself. The same request works against the test server and Stripe's test mode.
 */
export function stripeJs(endpoint: StripeEndpoint): NewCard {
  return async (token = 'tok_visa') => {
    const response = await fetch(`${endpoint.url}/v1/payment_methods`, {
      method: 'POST',
      headers: { authorization: `Bearer ${endpoint.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ type: 'card', 'card[token]': token }).toString(),
    });
    const body = (await response.json()) as { id?: string; error?: { message: string } };
    if (!response.ok || !body.id) throw new Error(`creating a card from ${token} answered ${response.status}: ${body.error?.message}`);
    return body.id;
  };
}

/** The same, for the simulated processor: its engine on the service's database plays the browser. */
export function simulatedStripeJs(db: Database): NewCard {
  const engine = new SimulatedStripe(new SimulatedLedger(db));
  return async (token = 'tok_visa') => (await engine.createPaymentMethod({ type: 'card', card: { token } })).id;
}

/** What Stripe.js's `confirmCardPayment(clientSecret, {payment_method})` answers: the intent, or the card error with it. */
export interface ConfirmedCardPayment {
  paymentIntent?: { id: string; status: string; next_action: Record<string, any> | null; last_payment_error: Record<string, any> | null };
  error?: { type: string; code?: string; decline_code?: string; message: string; payment_intent?: { id: string; status: string } };
}

/**
 * Stripe.js confirming an intent in the browser: `POST /v1/payment_intents/:id/confirm` with the
 * card and the intent's client secret (the id is the client secret's prefix, as Stripe.js reads it).
 */
export function stripeJsConfirm(endpoint: StripeEndpoint) {
  return async (clientSecret: string, paymentMethodId: string): Promise<ConfirmedCardPayment> => {
    const id = clientSecret.split('_secret_')[0]!;
    const response = await fetch(`${endpoint.url}/v1/payment_intents/${encodeURIComponent(id)}/confirm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${endpoint.secretKey}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payment_method: paymentMethodId, client_secret: clientSecret }).toString(),
    });
    const body = (await response.json()) as Record<string, any>;
    if (response.ok) return { paymentIntent: body as ConfirmedCardPayment['paymentIntent'] };
    return { error: body.error };
  };
}
