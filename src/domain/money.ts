import { AppError } from '../errors.js';

/** Largest amount accepted, in minor units: eight digits, as Stripe allows for most currencies. */
export const MAX_AMOUNT = 99_999_999;

/** Currencies without a minor unit: 500 JPY is `amount: 500`. */
const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);
/** Currencies with three decimals: 1.500 KWD is `amount: 1500`. */
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** The currencies Stripe can charge in (ISO 4217, lower case). */
const SUPPORTED = new Set(
  (
    'aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad cdf ' +
    'chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg ' +
    'huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk ' +
    'mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub ' +
    'rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx usd uyu uzs vnd ' +
    'vuv wst xaf xcd xof xpf yer zar zmw'
  ).split(' '),
);

/**
 * The smallest charge per currency, in minor units. Most are Stripe's documented minimums; the ones
 * marked "estimate" are 0.50 USD (Stripe's floor for currencies it lists no minimum for) at the
 * exchange rates of 2025, rounded up to a valid amount with room for the rate to move. A currency
 * missing here has a minimum only Stripe can compute (the day's rate), so it is not charged in.
 */
const MINIMUM_CHARGE: Readonly<Record<string, number>> = {
  usd: 50, aed: 200, aud: 50, bgn: 100, brl: 50, cad: 50, chf: 50, czk: 1500, dkk: 250, eur: 50,
  gbp: 30, hkd: 400, huf: 17500, inr: 50, jpy: 50, mxn: 1000, myr: 200, nok: 300, nzd: 50, pln: 200,
  ron: 200, sek: 300, sgd: 50, thb: 1000,
  // estimates: 100 ISK; 0.200 BHD, KWD, OMR; 0.400 JOD; 2.000 TND
  isk: 10000, bhd: 200, kwd: 200, omr: 200, jod: 400, tnd: 2000,
};

/**
 * The step an amount must be a multiple of, in minor units. ISK became zero-decimal but Stripe
 * still takes it with two decimals that must be 00; for the card networks, three-decimal amounts
 * must end in 0.
 */
export function amountStep(currency: string): number {
  if (currency === 'isk') return 100;
  if (THREE_DECIMAL.has(currency)) return 10;
  return 1;
}

export const DEFAULT_CURRENCY = 'usd';

/** Number of decimals between the major unit and the integer amount we store. */
export function currencyExponent(currency: string): 0 | 2 | 3 {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

/** The smallest charge in `currency`, undefined when only the processor knows it. */
export function minimumCharge(currency: string): number | undefined {
  return MINIMUM_CHARGE[currency];
}

/** Lower-cases and checks a currency code; `undefined` means the default. */
export function normalizeCurrency(currency: string | undefined): string {
  const value = (currency ?? DEFAULT_CURRENCY).trim().toLowerCase();
  if (!SUPPORTED.has(value)) {
    throw new AppError(
      'validation_failed',
      `currency must be a three-letter ISO 4217 code the processor supports, such as "usd" or "eur" (got ${JSON.stringify(currency)})`,
      { param: 'currency' },
    );
  }
  return value;
}

/** Shows a minor-unit amount in major units for messages: `formatAmount(2500, 'usd')` is "25.00 USD". */
export function formatAmount(amount: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount)).padStart(exponent + 1, '0');
  const major = exponent === 0 ? digits : `${digits.slice(0, -exponent)}.${digits.slice(-exponent)}`;
  return `${sign}${major} ${currency.toUpperCase()}`;
}

/**
 * The integer minor-unit amount a decimal major-unit value means (65.22 USD is 6522), computed from
 * the decimal digits so no float arithmetic is involved; `undefined` when there is no exact answer.
 */
export function minorUnitsFromMajor(value: number, currency: string): number | undefined {
  const text = String(value);
  const match = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return undefined;
  const exponent = currencyExponent(currency);
  const fraction = match[2] ?? '';
  if (fraction.length > exponent) return undefined;
  const minor = Number(`${match[1]}${fraction.padEnd(exponent, '0')}`);
  return Number.isSafeInteger(minor) ? minor : undefined;
}

/**
 * Checks an amount in minor units for `param` and returns it; every rule has its own message. An
 * amount off the currency's step names the nearest valid amounts, none below `floor`.
 */
export function assertAmount(value: unknown, currency: string, param = 'amount', floor = 1): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new AppError('invalid_amount', `${param} must be an integer number of minor units, such as 2500 for 25.00 USD`, {
      param,
    });
  }
  if (!Number.isInteger(value)) {
    const suggestion = minorUnitsFromMajor(value, currency);
    const code = currency.toUpperCase();
    const message =
      currencyExponent(currency) === 0
        ? `${param} must be a whole number: ${code} has no minor unit (got ${value})`
        : suggestion !== undefined && suggestion > 0
          ? `${param} must be an integer number of minor units (1/${10 ** currencyExponent(currency)} ${code}), not ${value}: to charge ${value} ${code} send ${suggestion}`
          : `${param} must be an integer number of minor units (1/${10 ** currencyExponent(currency)} ${code}), not ${value}`;
    throw new AppError('invalid_amount', message, {
      param,
      ...(suggestion !== undefined && suggestion > 0 ? { suggested_amount: suggestion } : {}),
    });
  }
  if (value <= 0) {
    throw new AppError('invalid_amount', `${param} must be a positive integer number of minor units (got ${value})`, {
      param,
    });
  }
  if (value > MAX_AMOUNT) {
    throw new AppError(
      'invalid_amount',
      `${param} must be at most ${MAX_AMOUNT} minor units (eight digits; got ${value})`,
      { param },
    );
  }
  const step = amountStep(currency);
  if (value % step !== 0) {
    const below = value - (value % step);
    const valid = [below, below + step].filter((amount) => amount >= Math.max(floor, step) && amount <= MAX_AMOUNT);
    const why = currency === 'isk' ? 'whole krónur, sent with two decimals of 00' : 'the last of its three decimals must be 0';
    throw new AppError(
      'invalid_amount',
      `${param} must be a multiple of ${step} in ${currency.toUpperCase()} (${why}; got ${value}): send ${valid.map((a) => `${a} (${formatAmount(a, currency)})`).join(' or ')}`,
      { param, valid_amounts: valid },
    );
  }
  return value;
}

/** The minimum of a currency the service charges in; any other currency is refused before the processor. */
function chargeMinimum(currency: string): number {
  const minimum = minimumCharge(currency);
  if (minimum === undefined) {
    throw new AppError(
      'validation_failed',
      `currency ${currency.toUpperCase()} cannot be charged: its smallest charge is the day's equivalent of 0.50 USD, which only the processor knows; charge in one of ${Object.keys(MINIMUM_CHARGE).join(', ')}`,
      { param: 'currency' },
    );
  }
  return minimum;
}

/** Checks a charge amount against the processor's minimum for the currency. */
export function assertChargeable(amount: number, currency: string): void {
  const minimum = chargeMinimum(currency);
  if (amount < minimum) {
    throw new AppError(
      'amount_below_minimum',
      `amount must be at least ${minimum} (${formatAmount(minimum, currency)}), the smallest charge the processor accepts in ${currency.toUpperCase()} (got ${amount})`,
      { param: 'amount', minimum_amount: minimum },
    );
  }
}

/** Every rule for the amount of a new charge: an integer of minor units, on the currency's step, at least its minimum. */
export function assertChargeAmount(value: unknown, currency: string): number {
  const amount = assertAmount(value, currency, 'amount', chargeMinimum(currency));
  assertChargeable(amount, currency);
  return amount;
}
