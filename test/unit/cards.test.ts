import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatCardExpiry, isCardPlaceholder, normalizeCardBrand, parseCardExpiry } from '../../src/domain/cards.js';
import { AppError } from '../../src/errors.js';

const NOW = new Date('2026-11-27T12:00:00Z');

describe('card details', () => {
  it('parses M/YY and MM/YY', () => {
    assert.deepEqual(parseCardExpiry('4/29', NOW), { month: 4, year: 2029 });
    assert.deepEqual(parseCardExpiry('12/34', NOW), { month: 12, year: 2034 });
    assert.deepEqual(parseCardExpiry('11/26', NOW), { month: 11, year: 2026 }, 'the current month is still valid');
  });

  it('refuses a past month, a month out of range and other shapes', () => {
    for (const bad of ['10/26', '12/25', '13/30', '0/30', '12/2030', '1230', 'ab/cd', '']) {
      assert.throws(() => parseCardExpiry(bad, NOW), (e: unknown) => e instanceof AppError && e.code === 'validation_failed', bad);
    }
  });

  it('formats MM/YY', () => {
    assert.equal(formatCardExpiry(4, 2029), '04/29');
    assert.equal(formatCardExpiry(null, null), null);
  });

  it('knows brands the way people write them', () => {
    assert.equal(normalizeCardBrand('Visa'), 'visa');
    assert.equal(normalizeCardBrand('MasterCard'), 'mastercard');
    assert.equal(normalizeCardBrand('American Express'), 'amex');
    assert.equal(normalizeCardBrand('diners club'), 'diners');
    assert.throws(() => normalizeCardBrand('bitcoin'), (e: unknown) => e instanceof AppError && /cardType/.test(e.message));
  });

  it('knows Stripe\'s own brands for a card it cannot name', () => {
    assert.equal(normalizeCardBrand('unknown'), 'unknown');
    assert.equal(normalizeCardBrand('link'), 'link');
  });

  it('recognises the web app\'s placeholders, and nothing else', () => {
    assert.equal(isCardPlaceholder('last4', '****'), true);
    assert.equal(isCardPlaceholder('expiryDate', '**/**'), true);
    assert.equal(isCardPlaceholder('cardType', 'Unknown'), true);
    assert.equal(isCardPlaceholder('cardholderName', ' Card Holder '), true);
    assert.equal(isCardPlaceholder('last4', '4242'), false);
    assert.equal(isCardPlaceholder('cardholderName', 'Jane Roe'), false);
    assert.equal(isCardPlaceholder('cardholderName', undefined), false);
  });
});
