import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { containsCardNumber, isCardFieldName, isCardNumberValue, maskCardNumbers, passesLuhn } from '../../src/domain/card-data.js';

describe('card data detection', () => {
  describe('card numbers in text: 12 to 19 digits passing Luhn, spaces or dashes allowed', () => {
    const cardNumbers: Array<[string, string]> = [
      ['Visa', '4242424242424242'],
      ['Visa, 13 digits', '4222222222222'],
      ['Visa debit', '4000056655665556'],
      ['Mastercard', '5555555555554444'],
      ['Mastercard 2-series', '2223003122003222'],
      ['American Express, 15 digits', '378282246310005'],
      ['American Express', '371449635398431'],
      ['Discover', '6011111111111117'],
      ['Diners, 14 digits', '36227206271667'],
      ['JCB', '3566002020360505'],
      ['UnionPay', '6200000000000005'],
      ['UnionPay, 19 digits', '6205500000000000004'],
      ['grouped by spaces', '4242 4242 4242 4242'],
      ['grouped by dashes', '4242-4242-4242-4242'],
      ['Amex grouping', '3782 822463 10005'],
      ['groups of mixed separators', '4242-4242 4242-4242'],
      ['inside a sentence', 'please charge my card 4242 4242 4242 4242, thanks'],
      ['followed by its expiry', '4242 4242 4242 4242 12 34'],
      ['followed by its expiry and CVC', '5555-5555-5555-4444-12-34-123'],
      ['in a query string', 'https://example.com/pay?c=4242424242424242&x=1'],
      ['in quotes', '"4242424242424242"'],
      ['at the end of a sentence', 'my card is 4242424242424242.'],
      ['after a colon', 'card:4242-4242-4242-4242'],
      ['a Luhn-valid 16-digit order id (refused by decision: it cannot be told from a card)', '4111111111111111'],
    ];
    for (const [name, text] of cardNumbers) {
      it(`finds ${name}: ${JSON.stringify(text)}`, () => {
        assert.equal(containsCardNumber(text), true);
      });
    }

    const notCardNumbers: Array<[string, string]> = [
      ['a 16-digit order id failing Luhn', '4242424242424241'],
      ['another 16-digit id failing Luhn', '1234567890123456'],
      ['a Luhn-valid number of 11 digits', '79927398713'],
      ['20 digits in one run', '42424242424242424242'],
      ['a zero-padded Luhn-valid id (no card starts with 0)', '0079927398713'],
      ['sixteen zeros', '0000000000000000'],
      ['an amount', '2500'],
      ['the largest amount', '99999999'],
      ['last4', '4242'],
      ['an expiry', '12/34'],
      ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
      ['a UUID whose last group is all digits and passes Luhn', '123e4567-e89b-12d3-a456-424242424242'],
      ['a hex object id with a Luhn-valid run inside', '65a4242424242424242bc1d2'],
      ['an order id with the digits after an underscore', 'order_4242424242424242'],
      ['an order id with the digits after a dash', 'order-4242424242424242'],
      ['digits glued to letters', 'x4242424242424242'],
      ['digits in an email\'s local part', 'customer4242424242424242@example.com'],
      ['a decimal fraction (Math.random)', '0.4242424242424242'],
      ['an order id made with Math.random', 'order_0.4242424242424242'],
      ['a processor id', 'pi_3MtwBwLkdIwHu7ix28a3tqPa'],
      ['a prefixed order id', 'order_1234567890'],
      ['a phone number', '+1 415 555 2671'],
      ['a timestamp', '2026-03-05T02:50:03.624Z'],
      ['epoch milliseconds failing Luhn', '1795877986601'],
      ['digits split by slashes', '4242/4242/4242/4242'],
      ['digits split by two spaces', '4242  4242  4242  4242'],
      ['digits split by dots', '4242.4242.4242.4242'],
      ['an empty string', ''],
      ['a name', 'John Doe'],
    ];
    for (const [name, text] of notCardNumbers) {
      it(`lets ${name} pass: ${JSON.stringify(text)}`, () => {
        assert.equal(containsCardNumber(text), false);
      });
    }

    it('scans a 64 KB run of digit groups quickly', () => {
      const started = performance.now();
      assert.equal(containsCardNumber('1 '.repeat(32 * 1024)), false);
      assert.equal(containsCardNumber('9'.repeat(64 * 1024)), false);
      assert.ok(performance.now() - started < 1000);
    });
  });

  describe('card numbers sent as JSON numbers', () => {
    it('finds a card number written as a number', () => {
      assert.equal(isCardNumberValue(4242424242424242), true);
      assert.equal(isCardNumberValue(378282246310005), true);
      assert.equal(isCardNumberValue(-4242424242424242), true);
    });
    it('lets amounts, fractions, huge and non-finite numbers pass', () => {
      for (const value of [0, -0, 2500, 99_999_999, 4242424242424241, 42.5, 4.242424242424242e15 + 0.5, 1e300, Number.MAX_VALUE, Infinity, -Infinity, NaN]) {
        assert.equal(isCardNumberValue(value), false, String(value));
      }
    });
  });

  describe('field names that hold card data whatever their value', () => {
    const cardFields = [
      'cardNumber', 'card_number', 'CARD-NUMBER', 'card[number]', 'number', 'Number', 'pan', 'PAN', 'cvc', 'CVC', 'cvv', 'CVV2',
      'cvc2', 'securityCode', 'security_code', 'creditCardNumber', 'ccNumber', 'cc_num', 'track2', 'customerCardNumber',
    ];
    for (const name of cardFields) {
      it(`refuses a field named ${name}`, () => assert.equal(isCardFieldName(name), true));
    }
    const otherFields = [
      'cardholderName', 'cardType', 'last4', 'expiryDate', 'paymentMethodId', 'orderId', 'orderNumber', 'phoneNumber',
      'numberOfItems', 'amount', 'customerId', 'cid', 'pin', 'panel', 'company', 'description',
    ];
    for (const name of otherFields) {
      it(`lets a field named ${name} pass`, () => assert.equal(isCardFieldName(name), false));
    }
  });

  describe('masking what is logged', () => {
    it('replaces the card number and keeps the rest', () => {
      assert.equal(maskCardNumbers('/payment/payment-intent/4242424242424242'), '/payment/payment-intent/[card number removed]');
      assert.equal(maskCardNumbers('orderId=4242-4242-4242-4242&x=1'), 'orderId=[card number removed]&x=1');
      assert.equal(maskCardNumbers('card 4242 4242 4242 4242 12 34'), 'card [card number removed] 12 34');
      assert.equal(maskCardNumbers('order 4242424242424241 of 2500'), 'order 4242424242424241 of 2500');
    });
  });

  it('computes Luhn as ISO/IEC 7812 does', () => {
    assert.equal(passesLuhn('79927398713'), true);
    assert.equal(passesLuhn('79927398710'), false);
    assert.equal(passesLuhn('0'), true);
  });
});
