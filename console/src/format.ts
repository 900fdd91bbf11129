import { currencyExponent } from '../../src/domain/money.js';

/** Minor units shown in the currency's major unit with its symbol: 2500 usd is $25.00, 500 jpy is ¥500. */
export function money(minor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  const code = currency.toUpperCase();
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency: code, minimumFractionDigits: exponent, maximumFractionDigits: exponent }).format(minor / 10 ** exponent);
  } catch {
    return `${(minor / 10 ** exponent).toFixed(exponent)} ${code}`;
  }
}

/** The major-unit amount an operator types (12.5) as minor units (1250), or null when it is not a valid amount. */
export function minorFromInput(text: string, currency: string): number | null {
  const exponent = currencyExponent(currency);
  if (!/^\d+(\.\d+)?$/.test(text.trim())) return null;
  const [whole = '0', fraction = ''] = text.trim().split('.');
  if (fraction.length > exponent) return null;
  const minor = Number(whole) * 10 ** exponent + Number(fraction.padEnd(exponent, '0') || '0');
  return Number.isSafeInteger(minor) && minor > 0 ? minor : null;
}

/** The major-unit text of an amount, for an input's starting value. */
export function majorText(minor: number, currency: string): string {
  const exponent = currencyExponent(currency);
  return (minor / 10 ** exponent).toFixed(exponent);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** An instant in the browser's own time zone. */
export function time(iso: string | null): string {
  return iso ? timeFormat.format(new Date(iso)) : '—';
}

export const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;
