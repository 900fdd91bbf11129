import type { LedgerTransaction } from '../../store/simulated-ledger.js';
import type { StripeLikePaymentMethod } from '../stripe-shapes.js';
import { stripeLikeId } from './ids.js';
import { invalid, missing, type Outcome } from './outcomes.js';
import { DEFAULT_TEST_CARD, TEST_PAYMENT_METHODS, testCardFor, testCardForToken, type TestCard } from './test-cards.js';

/**
 * Finds a payment method, or makes one the way Stripe's test mode does: a documented test id
 * (`pm_card_visa`) stands for a fresh card each time it is used. Any other unseen id does not exist
 * at Stripe (404); `acceptAnyId` is the simulated processor's demo convenience that takes an unseen
 * well-formed `pm_` id as a Visa ending 4242, as if Stripe.js had just made it.
 */
export async function resolvePaymentMethod(
  tx: LedgerTransaction,
  id: string,
  timestamp: () => number,
  acceptAnyId: boolean,
  lock: 'update' | 'share' = 'update',
): Promise<Outcome<StripeLikePaymentMethod>> {
  const existing = await tx.get<StripeLikePaymentMethod>(id, 'payment_method', lock);
  if (existing) return { ok: true, value: existing };
  const testCard = TEST_PAYMENT_METHODS[id];
  if (testCard) return { ok: true, value: await insertPaymentMethod(tx, stripeLikeId('pm'), testCard, timestamp) };
  if (!acceptAnyId || id.startsWith('pm_card_') || !/^pm_[A-Za-z0-9_]+$/.test(id)) return missing('PaymentMethod', id);
  return { ok: true, value: await insertPaymentMethod(tx, id, DEFAULT_TEST_CARD, timestamp) };
}

/** `POST /v1/payment_methods` with a test token, as Stripe.js does in the browser: a new unattached card. */
export async function createCardPaymentMethod(
  tx: LedgerTransaction,
  token: string,
  timestamp: () => number,
): Promise<Outcome<StripeLikePaymentMethod>> {
  const testCard = testCardForToken(token);
  if (!testCard) return invalid(`No such token: '${token}'`, 'card[token]', 'resource_missing');
  return { ok: true, value: await insertPaymentMethod(tx, stripeLikeId('pm'), testCard, timestamp) };
}

async function insertPaymentMethod(tx: LedgerTransaction, id: string, card: TestCard, timestamp: () => number) {
  const pm: StripeLikePaymentMethod = {
    id,
    object: 'payment_method',
    type: 'card',
    card: {
      brand: card.brand,
      last4: card.last4,
      exp_month: card.expMonth,
      exp_year: card.expYear,
      funding: card.funding,
      country: card.country,
    },
    billing_details: { name: null, email: null },
    customer: null,
    created: timestamp(),
    metadata: {},
  };
  await tx.insert(pm, 'payment_method', null);
  return pm;
}

/** The test card a payment method stands for, which decides what attaching, charging and refunding it do. */
export function cardOf(pm: StripeLikePaymentMethod): TestCard {
  return pm.card ? testCardFor(pm.card.brand, pm.card.last4) : DEFAULT_TEST_CARD;
}

/** Stripe's refusal of a payment method that was detached: it can never be attached or charged again. */
export function unusable(): Outcome<never> {
  return invalid(
    'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a ' +
      'connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use ' +
      'a PaymentMethod multiple times, you must attach it to a Customer first.',
    'payment_method',
  );
}
