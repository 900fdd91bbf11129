/**
 * Recognising card data (PCI DSS: a primary account number or a security code) in whatever a
 * client sends, so that it can be refused before anything stores or logs it. Cards reach this
 * service only as the processor's tokens (pm_...), made by Stripe.js in the browser.
 */

/** Field names that only ever hold a card number, a security code or track data, compared without case, `_`, `-` or brackets. */
const CARD_FIELD_NAMES = new Set([
  'number', 'cardnumber', 'cardno', 'cardnum', 'ccnumber', 'ccnum', 'ccno', 'creditcardnumber', 'debitcardnumber',
  'pan', 'primaryaccountnumber',
  'cvc', 'cvc2', 'cvv', 'cvv2', 'cvn', 'csc', 'cardcvc', 'cardcvv', 'securitycode', 'cardsecuritycode',
  'cardverificationcode', 'cardverificationvalue',
  'track1', 'track2', 'trackdata', 'magstripe',
]);

/** Card numbers are 12 to 19 digits (ISO/IEC 7812). */
const MIN_DIGITS = 12;
const MAX_DIGITS = 19;

/** Digits, possibly in groups split by one space or dash ("4242 4242 4242 4242", "4242-4242-..."). */
const DIGIT_RUN = /\d+(?:[ -]\d+)*/g;

const WORD = /[A-Za-z0-9_]/;

/**
 * Whether the digit run at [start, end) stands on its own, as a card number written by a person
 * does: not glued to letters or an underscore, not joined by a dash to an identifier, not beside
 * a decimal point. Digits inside an identifier (`order_4242...`, a UUID, a hex object id) or a
 * decimal fraction are part of that, whatever Luhn says of them.
 */
function standsAlone(text: string, start: number, end: number): boolean {
  const before = text[start - 1] ?? '';
  const after = text[end] ?? '';
  if (WORD.test(before) || WORD.test(after)) return false;
  if ((before === '-' && WORD.test(text[start - 2] ?? '')) || (after === '-' && WORD.test(text[end + 1] ?? ''))) return false;
  if ((before === '.' && /\d/.test(text[start - 2] ?? '')) || (after === '.' && /\d/.test(text[end + 1] ?? ''))) return false;
  return true;
}

/** `cardNumber`, `card_number`, `card[number]`, `CVV2`...: a name whose value is card data whatever it holds. */
export function isCardFieldName(name: string): boolean {
  const compact = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  return CARD_FIELD_NAMES.has(compact) || compact.endsWith('cardnumber');
}

/** The Luhn (mod 10) check every payment card number passes. */
export function passesLuhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** No card number starts with 0 (ISO/IEC 7812 gives that major industry to no card network), while zero-padded ids do. */
const isCardNumber = (digits: string) =>
  digits.length >= MIN_DIGITS && digits.length <= MAX_DIGITS && digits[0] !== '0' && passesLuhn(digits);

/**
 * Where in one run of digit groups a card number sits, if anywhere: the groups it spans (the
 * longest such stretch from the first place one starts). Groups are tried in every contiguous stretch, so a number followed by its expiry ("4242 4242 4242 4242
 * 12 34") is still found; a run of unbroken digits is a card number only as a whole.
 */
function cardNumberIn(run: string): { from: number; to: number } | null {
  const groups = run.split(/[ -]/);
  for (let from = 0; from < groups.length; from++) {
    let digits = '';
    let longest = -1;
    for (let to = from; to < groups.length; to++) {
      digits += groups[to];
      if (digits.length > MAX_DIGITS) break;
      if (isCardNumber(digits)) longest = to;
    }
    if (longest !== -1) return { from, to: longest };
  }
  return null;
}

/** The runs of a text that may be card numbers: long enough, standing on their own. */
function* candidateRuns(text: string): Generator<{ run: string; index: number }> {
  for (const match of text.matchAll(DIGIT_RUN)) {
    if (match[0].length >= MIN_DIGITS && standsAlone(text, match.index, match.index + match[0].length)) yield { run: match[0], index: match.index };
  }
}

/** Whether a text holds a card number anywhere: 12 to 19 digits, spaces or dashes allowed, passing Luhn, standing on their own. */
export function containsCardNumber(text: string): boolean {
  for (const { run } of candidateRuns(text)) {
    if (cardNumberIn(run)) return true;
  }
  return false;
}

/** Whether a JSON number is a card number written as a number (exact up to 2^53; beyond, as JSON.parse kept it). */
export function isCardNumberValue(value: number): boolean {
  if (!Number.isInteger(value) || Math.abs(value) < 10 ** (MIN_DIGITS - 1) || Math.abs(value) >= 10 ** MAX_DIGITS) return false;
  return isCardNumber(BigInt(Math.abs(value)).toString());
}

/** The text with each card number in it replaced, for what may be logged (a URL). */
export function maskCardNumbers(text: string): string {
  let masked = '';
  let copied = 0;
  for (const { run, index } of candidateRuns(text)) {
    const found = cardNumberIn(run);
    if (!found) continue;
    const groups = run.split(/[ -]/);
    masked += text.slice(copied, index) + [...groups.slice(0, found.from), '[card number removed]', ...groups.slice(found.to + 1)].join(' ');
    copied = index + run.length;
  }
  return masked + text.slice(copied);
}
