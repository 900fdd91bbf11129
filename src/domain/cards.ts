import { AppError } from '../errors.js';

/**
 * Card brands as Stripe names them (`paymentMethod.card.brand`), with its own `link` (a card saved
 * in Link) and `unknown` (a card it does not recognise, and the web app's placeholder).
 */
export const CARD_BRANDS = [
  'visa', 'mastercard', 'amex', 'discover', 'diners', 'jcb', 'unionpay', 'cartes_bancaires', 'eftpos_au', 'interac',
  'link', 'unknown',
] as const;
export type CardBrand = (typeof CARD_BRANDS)[number];

const BRAND_ALIASES: Readonly<Record<string, CardBrand>> = {
  americanexpress: 'amex',
  dinersclub: 'diners',
  master: 'mastercard',
  mc: 'mastercard',
  cartesbancaires: 'cartes_bancaires',
  eftpos: 'eftpos_au',
};

/** Accepts a brand the way people write it ("Visa", "MasterCard", "American Express") and answers Stripe's name. */
export function normalizeCardBrand(input: string): CardBrand {
  const compact = input.trim().toLowerCase().replace(/[\s_-]+/g, '');
  const brand = CARD_BRANDS.find((known) => known.replace(/_/g, '') === compact) ?? BRAND_ALIASES[compact];
  if (!brand) {
    throw new AppError('validation_failed', `cardType must be a known card brand (${CARD_BRANDS.join(', ')}); got ${JSON.stringify(input)}`, {
      param: 'cardType',
    });
  }
  return brand;
}

export interface CardExpiry {
  month: number;
  year: number;
}

/** Parses "M/YY" or "MM/YY" and refuses a card whose expiry month has already ended. */
export function parseCardExpiry(input: string, now: Date): CardExpiry {
  const match = /^\s*(\d{1,2})\s*\/\s*(\d{2})\s*$/.exec(input);
  const month = match ? Number(match[1]) : NaN;
  if (!match || month < 1 || month > 12) {
    throw new AppError('validation_failed', `expiryDate must be M/YY or MM/YY, such as 4/29 or 12/29 (got ${JSON.stringify(input)})`, {
      param: 'expiryDate',
    });
  }
  const year = 2000 + Number(match[2]);
  const currentMonthIndex = now.getUTCFullYear() * 12 + now.getUTCMonth();
  if (year * 12 + (month - 1) < currentMonthIndex) {
    throw new AppError('validation_failed', `expiryDate ${input} is in the past: the card has expired`, {
      param: 'expiryDate',
    });
  }
  return { month, year };
}

/** Formats an expiry as the API shows it: "MM/YY". */
export function formatCardExpiry(month: number | null, year: number | null): string | null {
  if (month === null || year === null) return null;
  return `${String(month).padStart(2, '0')}/${String(year % 100).padStart(2, '0')}`;
}

/**
 * The values the CommuneDrop web app sends when Stripe.js did not give it one: they say nothing
 * about the card, so they are accepted and the processor's details stored (as they always are).
 */
export const CARD_PLACEHOLDERS = {
  last4: '****',
  expiryDate: '**/**',
  cardType: 'unknown',
  cardholderName: 'Card Holder',
} as const;

export function isCardPlaceholder(field: keyof typeof CARD_PLACEHOLDERS, value: string | undefined): boolean {
  return value !== undefined && value.trim().toLowerCase() === CARD_PLACEHOLDERS[field].toLowerCase();
}
