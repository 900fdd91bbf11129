import { amountStep, currencyExponent, minimumCharge } from '../../domain/money.js';
import type { StripeLikePaymentIntent, StripeLikePaymentMethod } from '../stripe-shapes.js';
import { stripeLikeId } from './ids.js';
import { declined, invalid, type Outcome } from './outcomes.js';
import { cardOf } from './payment-methods.js';

export interface CreatePaymentIntentParams {
  amount: number;
  currency: string;
  customer?: string | undefined;
  payment_method?: string | undefined;
  confirm?: boolean | undefined;
  capture_method?: 'automatic' | 'manual' | undefined;
  description?: string | undefined;
  metadata?: Record<string, string> | undefined;
  return_url?: string | undefined;
  expand?: string[] | undefined;
}

/** `POST /v1/payment_intents/:id/confirm`: what Stripe.js sends with the client secret, or a server. */
export interface ConfirmPaymentIntentParams {
  payment_method?: string | undefined;
  return_url?: string | undefined;
  expand?: string[] | undefined;
}

/**
 * Where a customer's browser passes or fails 3-D Secure: `redirect` for a payment given a return URL
 * (next_action.redirect_to_url), `sdk` for Stripe.js (next_action.use_stripe_sdk).
 */
export interface ChallengePages {
  redirect(pi: StripeLikePaymentIntent): string;
  sdk(pi: StripeLikePaymentIntent): string;
}

/** Stripe's own hosted pages, as Stripe answers them. */
export const STRIPE_CHALLENGE_PAGES: ChallengePages = {
  redirect: (pi) => `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${pi.id}`,
  sdk: (pi) => `https://hooks.stripe.com/redirect/authenticate/${pi.id}`,
};

const CANCELABLE = new Set(['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture']);
const CONFIRMABLE = new Set(['requires_payment_method', 'requires_confirmation', 'requires_action']);

/** A new intent, awaiting confirmation when it has a payment method and a payment method when not. */
export function newPaymentIntent(
  params: CreatePaymentIntentParams,
  pm: StripeLikePaymentMethod | null,
  timestamp: () => number,
): StripeLikePaymentIntent {
  const id = stripeLikeId('pi');
  return {
    id,
    object: 'payment_intent',
    amount: params.amount,
    amount_capturable: 0,
    amount_received: 0,
    currency: params.currency,
    customer: params.customer ?? null,
    payment_method: pm?.id ?? null,
    status: pm ? 'requires_confirmation' : 'requires_payment_method',
    capture_method: params.capture_method ?? 'automatic',
    client_secret: `${id}_secret_${stripeLikeId('s', 24).slice(2)}`,
    description: params.description ?? null,
    metadata: params.metadata ?? {},
    next_action: null,
    last_payment_error: null,
    latest_charge: null,
    created: timestamp(),
    canceled_at: null,
    cancellation_reason: null,
  };
}

export function checkAmount(amount: unknown, currency: unknown): Outcome<never> | null {
  if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency)) return invalid('Invalid currency', 'currency');
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0) {
    return invalid('Invalid integer: amount', 'amount', 'parameter_invalid_integer');
  }
  // Only documented minimums: Stripe's 0.50 USD equivalent for the others needs the day's rate.
  const minimum = minimumCharge(currency);
  if (minimum !== undefined && amount < minimum) {
    const exponent = currencyExponent(currency);
    const major = (minimum / 10 ** exponent).toFixed(exponent);
    return invalid(`Amount must be at least ${major} ${currency}`, 'amount', 'amount_too_small');
  }
  if (amount > 99_999_999) return invalid('Amount must be no more than 99999999', 'amount', 'amount_too_large');
  return checkStep(amount, currency, 'amount');
}

/** Stripe refuses ISK amounts that are not whole krónur and three-decimal amounts not ending in 0. */
export function checkStep(amount: number, currency: string, param: string): Outcome<never> | null {
  const step = amountStep(currency);
  if (amount % step === 0) return null;
  return invalid(`Invalid ${param}: amounts in ${currency} must be a multiple of ${step}.`, param, 'parameter_invalid_integer');
}

/** Runs the card's charge outcome on an intent that has a payment method. */
export function confirm(
  pi: StripeLikePaymentIntent,
  pm: StripeLikePaymentMethod,
  returnUrl: string | undefined,
  pages: ChallengePages,
): Outcome<StripeLikePaymentIntent> {
  const outcome = cardOf(pm).onCharge;
  switch (outcome.kind) {
    case 'ok':
      if (pi.capture_method === 'manual') {
        pi.status = 'requires_capture';
        pi.amount_capturable = pi.amount;
      } else {
        pi.status = 'succeeded';
        pi.amount_received = pi.amount;
      }
      pi.latest_charge = stripeLikeId('ch');
      return { ok: true, value: pi };
    case 'authenticate':
      pi.status = 'requires_action';
      pi.next_action = returnUrl
        ? { type: 'redirect_to_url', redirect_to_url: { url: pages.redirect(pi), return_url: returnUrl } }
        : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: pages.sdk(pi) } };
      return { ok: true, value: pi };
    case 'decline': {
      pi.status = 'requires_payment_method';
      pi.payment_method = null;
      pi.last_payment_error = { ...declined(outcome), payment_method: pm };
      pi.latest_charge = stripeLikeId('ch');
      return { ok: false, statusCode: 402, error: declined(outcome), paymentIntent: pi };
    }
  }
}

/**
 * Confirms an intent that exists, with `pm` (a new card, or the one it has): what Stripe.js does
 * with the client secret after a decline or a failed 3-D Secure. Only an intent not charged and
 * not canceled can be confirmed; the last error is cleared before the new attempt.
 */
export function confirmExisting(
  pi: StripeLikePaymentIntent,
  pm: StripeLikePaymentMethod,
  returnUrl: string | undefined,
  pages: ChallengePages,
): Outcome<StripeLikePaymentIntent> {
  if (!CONFIRMABLE.has(pi.status)) {
    return invalid(
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: ${[...CONFIRMABLE].join(', ')}.`,
      undefined,
      'payment_intent_unexpected_state',
    );
  }
  pi.payment_method = pm.id;
  pi.last_payment_error = null;
  pi.next_action = null;
  return confirm(pi, pm, returnUrl, pages);
}

/** Captures `amountToCapture` of an authorization, all that is capturable when it is absent. */
export function capture(pi: StripeLikePaymentIntent, amountToCapture: number | undefined): Outcome<StripeLikePaymentIntent> {
  if (pi.status !== 'requires_capture') {
    return invalid(
      `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
      undefined,
      'payment_intent_unexpected_state',
    );
  }
  const amount = amountToCapture ?? pi.amount_capturable;
  if (!Number.isInteger(amount) || amount <= 0 || amount > pi.amount_capturable) {
    return invalid(`amount_to_capture must be a positive integer no greater than ${pi.amount_capturable}.`, 'amount_to_capture');
  }
  const offStep = checkStep(amount, pi.currency, 'amount_to_capture');
  if (offStep) return offStep;
  pi.amount_received = amount;
  pi.amount_capturable = 0;
  pi.status = 'succeeded';
  return { ok: true, value: pi };
}

export function cancel(
  pi: StripeLikePaymentIntent,
  cancellationReason: string | undefined,
  timestamp: () => number,
): Outcome<StripeLikePaymentIntent> {
  if (!CANCELABLE.has(pi.status)) {
    return invalid(
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${[...CANCELABLE].join(', ')}.`,
      undefined,
      'payment_intent_unexpected_state',
    );
  }
  pi.status = 'canceled';
  pi.amount_capturable = 0;
  pi.next_action = null;
  pi.canceled_at = timestamp();
  pi.cancellation_reason = cancellationReason ?? null;
  return { ok: true, value: pi };
}

/** The end of a 3-D Secure challenge: passed, the payment goes through; failed, it needs another card. */
export function authenticate(pi: StripeLikePaymentIntent, passed: boolean): Outcome<StripeLikePaymentIntent> {
  if (pi.status !== 'requires_action') return invalid(`This PaymentIntent has a status of ${pi.status}; it requires no action.`);
  pi.next_action = null;
  if (passed) {
    pi.status = pi.capture_method === 'manual' ? 'requires_capture' : 'succeeded';
    pi.latest_charge = stripeLikeId('ch');
    if (pi.status === 'succeeded') pi.amount_received = pi.amount;
    else pi.amount_capturable = pi.amount;
  } else {
    pi.status = 'requires_payment_method';
    pi.last_payment_error = {
      type: 'card_error',
      code: 'payment_intent_authentication_failure',
      message: 'The provided PaymentMethod has failed authentication.',
    };
  }
  return { ok: true, value: pi };
}
