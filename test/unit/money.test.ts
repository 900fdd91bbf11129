import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  amountStep,
  assertAmount,
  assertChargeAmount,
  assertChargeable,
  currencyExponent,
  formatAmount,
  MAX_AMOUNT,
  minorUnitsFromMajor,
  normalizeCurrency,
} from '../../src/domain/money.js';
import { AppError } from '../../src/errors.js';

function rejects(fn: () => unknown, code: string, message?: RegExp) {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  });
}

describe('money', () => {
  it('knows the exponent of zero-, two- and three-decimal currencies', () => {
    assert.equal(currencyExponent('jpy'), 0);
    assert.equal(currencyExponent('krw'), 0);
    assert.equal(currencyExponent('usd'), 2);
    assert.equal(currencyExponent('kwd'), 3);
  });

  it('formats minor units in major units without floats', () => {
    assert.equal(formatAmount(2500, 'usd'), '25.00 USD');
    assert.equal(formatAmount(5, 'usd'), '0.05 USD');
    assert.equal(formatAmount(500, 'jpy'), '500 JPY');
    assert.equal(formatAmount(1500, 'kwd'), '1.500 KWD');
  });

  it('turns a decimal major amount into exact minor units from its digits', () => {
    assert.equal(minorUnitsFromMajor(65.22, 'usd'), 6522);
    assert.equal(minorUnitsFromMajor(0.1, 'usd'), 10);
    assert.equal(minorUnitsFromMajor(19.99, 'usd'), 1999);
    assert.equal(minorUnitsFromMajor(1.5, 'kwd'), 1500);
    assert.equal(minorUnitsFromMajor(65.225, 'usd'), undefined);
    assert.equal(minorUnitsFromMajor(65.5, 'jpy'), undefined);
  });

  it('agrees with integer arithmetic for every cents value (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_999_999 }), fc.integer({ min: 1, max: 99 }), (dollars, cents) => {
        const major = Number(`${dollars}.${String(cents).padStart(2, '0')}`);
        assert.equal(minorUnitsFromMajor(major, 'usd'), dollars * 100 + cents);
      }),
    );
  });

  it('accepts integer amounts from 1 to eight digits', () => {
    assert.equal(assertAmount(1, 'usd'), 1);
    assert.equal(assertAmount(2500, 'usd'), 2500);
    assert.equal(assertAmount(MAX_AMOUNT, 'usd'), MAX_AMOUNT);
  });

  it('refuses a decimal amount and says which integer to send', () => {
    rejects(() => assertAmount(65.22, 'usd'), 'invalid_amount', /send 6522/);
    rejects(() => assertAmount(65.5, 'jpy'), 'invalid_amount', /JPY has no minor unit/);
  });

  it('refuses zero, negative, too large, non-numbers', () => {
    rejects(() => assertAmount(0, 'usd'), 'invalid_amount', /positive/);
    rejects(() => assertAmount(-100, 'usd'), 'invalid_amount', /positive/);
    rejects(() => assertAmount(MAX_AMOUNT + 1, 'usd'), 'invalid_amount', /eight digits/);
    rejects(() => assertAmount('2500', 'usd'), 'invalid_amount', /integer/);
    rejects(() => assertAmount(Number.NaN, 'usd'), 'invalid_amount');
  });

  it('applies Stripe\'s minimum charge per currency', () => {
    assertChargeable(50, 'usd');
    rejects(() => assertChargeable(49, 'usd'), 'amount_below_minimum', /at least 50 \(0\.50 USD\)/);
    assertChargeable(50, 'jpy');
    rejects(() => assertChargeable(49, 'jpy'), 'amount_below_minimum', /50 JPY/);
  });

  it('lower-cases currencies, defaults to usd and refuses unknown codes', () => {
    assert.equal(normalizeCurrency('USD'), 'usd');
    assert.equal(normalizeCurrency(undefined), 'usd');
    assert.equal(normalizeCurrency('Jpy'), 'jpy');
    rejects(() => normalizeCurrency('xyz'), 'validation_failed', /ISO 4217/);
  });

  it('keeps Stripe\'s steps: ISK in whole krónur (multiples of 100), three-decimal amounts ending in 0', () => {
    assert.deepEqual(['isk', 'kwd', 'bhd', 'jod', 'omr', 'tnd', 'usd', 'jpy'].map(amountStep), [100, 10, 10, 10, 10, 10, 1, 1]);
    assert.equal(assertAmount(12300, 'isk'), 12300);
    assert.equal(assertAmount(5120, 'kwd'), 5120);
    for (const [amount, currency, valid] of [
      [12345, 'isk', [12300, 12400]],
      [5125, 'kwd', [5120, 5130]],
      [5, 'tnd', [10]],
      [99, 'isk', [100]],
      [MAX_AMOUNT, 'jod', [MAX_AMOUNT - 9]],
    ] as const) {
      assert.throws(() => assertAmount(amount, currency), (error: unknown) => {
        assert.ok(error instanceof AppError);
        assert.deepEqual([error.code, error.details?.['valid_amounts']], ['invalid_amount', valid]);
        return true;
      });
    }
  });

  it('a new charge: the step\'s nearest amounts never go below the minimum, and a currency without a known minimum is refused', () => {
    assert.equal(assertChargeAmount(10000, 'isk'), 10000);
    assert.throws(() => assertChargeAmount(9950, 'isk'), (error: unknown) => error instanceof AppError && JSON.stringify(error.details?.['valid_amounts']) === '[10000]');
    rejects(() => assertChargeAmount(9900, 'isk'), 'amount_below_minimum', /100\.00 ISK/);
    rejects(() => assertChargeAmount(100000, 'krw'), 'validation_failed', /KRW cannot be charged/);
    rejects(() => assertChargeable(1, 'vnd'), 'validation_failed', /0\.50 USD/);
  });
});
