/** What a card does when it is attached to a customer or charged. */
export type CardOutcome =
  | { kind: 'ok' }
  | { kind: 'decline'; code: string; declineCode: string; message: string }
  | { kind: 'authenticate' };

/**
 * What a refund of a charge on the card does: succeed at once, stay pending and then succeed, or
 * succeed and later fail (Stripe fails those asynchronously, with `refund.failed`).
 */
export type RefundBehaviour = 'succeeds' | 'pending_then_succeeds' | 'succeeds_then_fails';

export interface TestCard {
  brand: string;
  last4: string;
  expMonth: number;
  expYear: number;
  funding: 'credit' | 'debit';
  country: string;
  onAttach: CardOutcome;
  onCharge: CardOutcome;
  onRefund: RefundBehaviour;
}

const OK: CardOutcome = { kind: 'ok' };
const GENERIC_DECLINE: CardOutcome = {
  kind: 'decline',
  code: 'card_declined',
  declineCode: 'generic_decline',
  message: 'Your card was declined.',
};
const INSUFFICIENT_FUNDS: CardOutcome = {
  kind: 'decline',
  code: 'card_declined',
  declineCode: 'insufficient_funds',
  message: 'Your card has insufficient funds.',
};
const EXPIRED: CardOutcome = {
  kind: 'decline',
  code: 'expired_card',
  declineCode: 'expired_card',
  message: 'Your card has expired.',
};

function card(brand: string, last4: string, onAttach: CardOutcome, onCharge: CardOutcome, extra: Partial<TestCard> = {}): TestCard {
  return { brand, last4, expMonth: 12, expYear: 2034, funding: 'credit', country: 'US', onAttach, onCharge, onRefund: 'succeeds', ...extra };
}

/**
 * Stripe's documented test payment methods and their outcomes. Cards that decline every charge
 * also decline when attached to a customer (Stripe checks the card then); 4000000000000341
 * (`pm_card_chargeCustomerFail`) is the one that attaches and then fails to charge.
 */
export const TEST_PAYMENT_METHODS: Readonly<Record<string, TestCard>> = {
  pm_card_visa: card('visa', '4242', OK, OK),
  pm_card_visa_debit: card('visa', '5556', OK, OK, { funding: 'debit' }),
  pm_card_mastercard: card('mastercard', '4444', OK, OK),
  pm_card_amex: card('amex', '0005', OK, OK),
  pm_card_chargeDeclined: card('visa', '0002', GENERIC_DECLINE, GENERIC_DECLINE),
  pm_card_chargeDeclinedInsufficientFunds: card('visa', '9995', INSUFFICIENT_FUNDS, INSUFFICIENT_FUNDS),
  pm_card_chargeDeclinedExpiredCard: card('visa', '0069', EXPIRED, EXPIRED),
  pm_card_authenticationRequired: card('visa', '3184', OK, { kind: 'authenticate' }),
  pm_card_chargeCustomerFail: card('visa', '0341', OK, GENERIC_DECLINE),
  pm_card_refundFail: card('visa', '5126', OK, OK, { onRefund: 'succeeds_then_fails' }),
  pm_card_pendingRefund: card('visa', '7726', OK, OK, { onRefund: 'pending_then_succeeds' }),
};

/**
 * The test card a Stripe.js token stands for (`tok_visa` → `pm_card_visa`), as `POST
 * /v1/payment_methods` with `card[token]` takes it; undefined for a token Stripe does not document.
 */
export function testCardForToken(token: string): TestCard | undefined {
  return token.startsWith('tok_') ? TEST_PAYMENT_METHODS[`pm_card_${token.slice(4)}`] : undefined;
}

/** What a card the engine cannot tell apart is taken for: a Visa ending 4242. */
export const DEFAULT_TEST_CARD: TestCard = TEST_PAYMENT_METHODS.pm_card_visa!;

/** The behaviour of a card already on file, found by its number's last digits as Stripe's test mode does. */
export function testCardFor(brand: string, last4: string): TestCard {
  return Object.values(TEST_PAYMENT_METHODS).find((c) => c.brand === brand && c.last4 === last4) ?? DEFAULT_TEST_CARD;
}
