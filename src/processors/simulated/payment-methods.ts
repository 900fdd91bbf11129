import type { LedgerTransaction } from '../../store/simulated-ledger.js';
import type { StripeLikePaymentMethod } from '../stripe-shapes.js';
import { stripeLikeId } from './ids.js';
import { invalid, missing, type Outcome } from './outcomes.js';
import { DEFAULT_TEST_CARD, TEST_PAYMENT_METHODS, testCardFor, type TestCard } from './test-cards.js';

/**
 * Finds a payment method, or makes one the way Stripe's test mode does: a documented test id
 * (`pm_card_visa`) stands for a fresh card each time it is used, and any other unseen `pm_` id is
 * taken as a Visa ending 4242. An unknown `pm_card_` name does not exist.
 */
export async function resolvePaymentMethod(
  tx: LedgerTransaction,
  id: string,
  timestamp: () => number,
): Promise<Outcome<StripeLikePaymentMethod>> {
  const existing = await tx.get<StripeLikePaymentMethod>(id, 'payment_method');
  if (existing) return { ok: true, value: existing };
  const testCard = TEST_PAYMENT_METHODS[id];
  if (!testCard && (id.startsWith('pm_card_') || !/^pm_[A-Za-z0-9_]+$/.test(id))) {
    return missing('PaymentMethod', id);
  }
  const card = testCard ?? DEFAULT_TEST_CARD;
  const pm: StripeLikePaymentMethod = {
    id: testCard ? stripeLikeId('pm') : id,
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
  return { ok: true, value: pm };
}

/** The test card a payment method stands for, which decides what attaching and charging it do. */
export function cardOf(pm: StripeLikePaymentMethod): TestCard {
  return pm.card ? testCardFor(pm.card.brand, pm.card.last4) : DEFAULT_TEST_CARD;
}

export function unusable(id: string): Outcome<never> {
  return invalid(
    `The PaymentMethod ${id} was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.`,
    'payment_method',
  );
}
