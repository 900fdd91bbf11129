import type { LedgerTransaction } from '../../store/simulated-ledger.js';
import type { StripeLikeCharge, StripeLikePaymentIntent, StripeLikePaymentMethod } from '../stripe-shapes.js';
import { invalid, type Outcome } from './outcomes.js';

/**
 * How long the simulated processor's card authorizations hold before they must be captured: the
 * 7 days Stripe gives most online card payments. Stripe's real deadline is the charge's own
 * (`payment_method_details.card.capture_before`), which the simulated charges carry too.
 */
export const AUTHORIZATION_VALIDITY_SECONDS = 7 * 24 * 60 * 60;

/** What a payment intent can be asked to expand, as Stripe names it; a list expands `data.<path>`. */
export const INTENT_EXPANSIONS = ['latest_charge'] as const;

/** Stripe's refusal of an `expand[]` path the object does not have. */
export function checkExpand(expand: readonly string[] | undefined, allowed: readonly string[]): Outcome<never> | null {
  const unknown = expand?.find((path) => !allowed.includes(path));
  return unknown === undefined ? null : invalid(`This property cannot be expanded (${unknown}).`, 'expand');
}

/**
 * The charge behind an intent's `latest_charge`, made from the intent and its card (the simulated
 * processor keeps no charges of its own): succeeded once authorized or paid, failed after a
 * decline; a manual-capture authorization carries its deadline, creation + 7 days.
 */
function chargeOf(pi: StripeLikePaymentIntent, pm: StripeLikePaymentMethod | null, id: string, validitySeconds: number): StripeLikeCharge {
  const authorized = pi.status === 'requires_capture' || pi.status === 'succeeded' || (pi.status === 'canceled' && pi.last_payment_error === null);
  const manual = pi.capture_method === 'manual';
  return {
    id,
    object: 'charge',
    amount: pi.amount,
    amount_captured: pi.amount_received,
    captured: pi.status === 'succeeded',
    currency: pi.currency,
    payment_intent: pi.id,
    status: authorized ? 'succeeded' : 'failed',
    payment_method_details: {
      type: 'card',
      card: {
        brand: pm?.card?.brand ?? null,
        last4: pm?.card?.last4 ?? null,
        ...(manual && authorized ? { capture_before: pi.created + validitySeconds } : {}),
      },
    },
    created: pi.created,
  };
}

/** A copy of the intent with `latest_charge` expanded when `expand` asks for it; the stored intent keeps the id. */
export async function expandIntent(
  tx: LedgerTransaction,
  pi: StripeLikePaymentIntent,
  expand: readonly string[] | undefined,
  validitySeconds = AUTHORIZATION_VALIDITY_SECONDS,
  /** The payment method the caller holds already (read in the same transaction), to not read it again. */
  known: StripeLikePaymentMethod | null = null,
): Promise<StripeLikePaymentIntent> {
  if (!expand?.includes('latest_charge') || typeof pi.latest_charge !== 'string') return pi;
  const failedWith = pi.last_payment_error?.payment_method as { id?: unknown } | undefined;
  const pmId = pi.payment_method ?? (typeof failedWith?.id === 'string' ? failedWith.id : null);
  // Only its card's brand and last digits are shown: read without a lock.
  const pm = pmId === null ? null : known?.id === pmId ? known : await tx.get<StripeLikePaymentMethod>(pmId, 'payment_method', 'none');
  return { ...pi, latest_charge: chargeOf(pi, pm, pi.latest_charge, validitySeconds) };
}

/** The same for an outcome: a success's intent expanded, an error (a decline's intent included) as Stripe sends it. */
export async function expandOutcome(
  tx: LedgerTransaction,
  outcome: Outcome<StripeLikePaymentIntent>,
  expand: readonly string[] | undefined,
  validitySeconds = AUTHORIZATION_VALIDITY_SECONDS,
  known: StripeLikePaymentMethod | null = null,
): Promise<Outcome<StripeLikePaymentIntent>> {
  return outcome.ok ? { ok: true, value: await expandIntent(tx, outcome.value, expand, validitySeconds, known) } : outcome;
}
