import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomer, newCardToken, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { openCardholderName } from '../helpers/stored-text.js';

describe('payment methods', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const cardRows = async (customerId: string) =>
    (await t.db.query<{ id: string; is_default: boolean; card_brand: string; card_last4: string; cardholder_name: string | null }>(
      `SELECT pm.id, pm.is_default, pm.card_brand, pm.card_last4, pm.cardholder_name FROM payment_methods pm
       JOIN customers c ON c.id = pm.customer_id WHERE c.processor_customer_id = $1 ORDER BY pm.created_at`,
      [customerId],
    )).rows.map((row) => ({ ...row, cardholder_name: openCardholderName(t.app.services.sealedFields, row.id, row.cardholder_name) }));

  const details = (customerId: string, paymentMethodId: string, extra: Record<string, unknown> = {}) => ({
    customerId,
    paymentMethodId,
    cardholderName: 'John Doe',
    last4: '4242',
    cardType: 'visa',
    expiryDate: '12/34',
    isDefault: false,
    ...extra,
  });

  describe('POST /payment/payment-method', () => {
    it('attaches a card: 201 with the document\'s three fields, saved as the first (default) card', async () => {
      const customerId = await createCustomer(t.api);
      const token = newCardToken();
      const response = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: token });
      assert.equal(response.status, 201);
      assert.deepEqual(response.body, { success: true, data: { payment_method_id: token, card_last4: '4242', card_brand: 'visa' } });
      assert.deepEqual(await cardRows(customerId), [
        { id: token, is_default: true, card_brand: 'visa', card_last4: '4242', cardholder_name: null },
      ]);
      const atProcessor = await t.processor.retrievePaymentMethod(token);
      assert.equal(atProcessor.customerId, customerId);
    });

    it('takes brand and last4 of Stripe\'s test cards from the processor', async () => {
      const customerId = await createCustomer(t.api);
      for (const [token, brand, last4] of [
        ['pm_card_visa', 'visa', '4242'],
        ['pm_card_mastercard', 'mastercard', '4444'],
        ['pm_card_amex', 'amex', '0005'],
        ['pm_card_authenticationRequired', 'visa', '3184'],
        ['pm_card_chargeCustomerFail', 'visa', '0341'],
      ] as const) {
        const response = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: token });
        assert.equal(response.status, 201, token);
        assert.match(response.body.data.payment_method_id, /^pm_[A-Za-z0-9]{24}$/);
        assert.equal(response.body.data.card_brand, brand);
        assert.equal(response.body.data.card_last4, last4);
      }
      assert.equal((await cardRows(customerId)).length, 5);
    });

    it('is harmless to attach the same card twice: 200, still one card', async () => {
      const customerId = await createCustomer(t.api);
      const token = newCardToken();
      await saveCard(t.api, customerId, token);
      const again = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: token });
      assert.equal(again.status, 200);
      assert.equal(again.body.data.payment_method_id, token);
      const visaAgain = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: 'pm_card_visa' });
      const visaThird = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: 'pm_card_visa' });
      assert.equal(visaThird.status, 200);
      assert.equal(visaThird.body.data.payment_method_id, visaAgain.body.data.payment_method_id);
      assert.equal((await cardRows(customerId)).length, 2);
    });

    it('answers 402 card_declined for a card that declines when attached, and saves nothing', async () => {
      const customerId = await createCustomer(t.api);
      for (const [token, declineCode] of [
        ['pm_card_chargeDeclined', 'generic_decline'],
        ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
        ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
      ] as const) {
        const response = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: token });
        assert.equal(response.status, 402, token);
        assert.equal(response.body.code, 'card_declined');
        assert.equal(response.body.decline_code, declineCode);
      }
      assert.deepEqual(await cardRows(customerId), []);
    });

    it('answers 404 for an unknown customer or an unknown payment method', async () => {
      const unknownCustomer = await t.api.post('/payment/payment-method', { customerId: 'cus_doesnotexist', paymentMethodId: newCardToken() });
      assert.equal(unknownCustomer.status, 404);
      assert.equal(unknownCustomer.body.code, 'customer_not_found');
      const customerId = await createCustomer(t.api);
      const unknownCard = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: 'pm_card_doesNotExist' });
      assert.equal(unknownCard.status, 404);
      assert.equal(unknownCard.body.code, 'payment_method_not_found');
      assert.deepEqual(await cardRows(customerId), []);
    });

    it('refuses a card saved for another customer exactly as one that does not exist', async () => {
      const token = newCardToken();
      await saveCard(t.api, await createCustomer(t.api), token);
      const other = await createCustomer(t.api);
      const response = await t.api.post('/payment/payment-method', { customerId: other, paymentMethodId: token });
      const unknown = await t.api.post('/payment/payment-method', { customerId: other, paymentMethodId: 'pm_card_noSuchCard' });
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'payment_method_not_found');
      assert.deepEqual([unknown.status, unknown.body.code], [404, 'payment_method_not_found']);
      assert.deepEqual(await cardRows(other), []);
    });

    it('refuses ids of the wrong shape with 400', async () => {
      for (const body of [
        { customerId: 'nope', paymentMethodId: newCardToken() },
        { customerId: 'cus_123', paymentMethodId: 'card_123' },
        { customerId: 'cus_123' },
      ]) {
        const response = await t.api.post('/payment/payment-method', body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(response.body.code, 'validation_failed');
      }
    });
  });

  describe('POST /payment/payment-method-details', () => {
    it('saves a card with its details: the document\'s six fields', async () => {
      const customerId = await createCustomer(t.api);
      const token = newCardToken();
      const response = await t.api.post('/payment/payment-method-details', details(customerId, token, { isDefault: true }));
      assert.equal(response.status, 201);
      assert.equal(response.body.success, true);
      assert.equal(typeof response.body.message, 'string');
      assert.deepEqual(response.body.data, {
        payment_method_id: token,
        card_last4: '4242',
        card_brand: 'visa',
        cardholder_name: 'John Doe',
        expiry_date: '12/34',
        is_default: true,
      });
      assert.deepEqual(await cardRows(customerId), [
        { id: token, is_default: true, card_brand: 'visa', card_last4: '4242', cardholder_name: 'John Doe' },
      ]);
    });

    it('accepts M/YY and brand names as people write them', async () => {
      const customerId = await createCustomer(t.api);
      const response = await t.api.post('/payment/payment-method-details', details(customerId, newCardToken(), { expiryDate: '1/33', cardType: 'Visa' }));
      assert.equal(response.status, 201);
    });

    it('validates last4, expiryDate and cardType, and changes nothing when they are wrong', async () => {
      const customerId = await createCustomer(t.api);
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ last4: '42' }, /last4 has the wrong format: Last four digits/],
        [{ last4: 'abcd' }, /last4 has the wrong format/],
        [{ expiryDate: '12/25' }, /expiryDate 12\/25 is in the past/],
        [{ expiryDate: '13/30' }, /expiryDate must be M\/YY or MM\/YY/],
        [{ expiryDate: '2030-12' }, /expiryDate must be M\/YY or MM\/YY/],
        [{ cardType: 'bitcoin' }, /cardType must be a known card brand/],
        [{ isDefault: 'yes' }, /isDefault must be boolean/],
      ];
      for (const [extra, message] of cases) {
        const response = await t.api.post('/payment/payment-method-details', details(customerId, newCardToken(), extra));
        assert.equal(response.status, 400, JSON.stringify(extra));
        assert.equal(response.body.code, 'validation_failed');
        assert.match(response.body.message, message);
      }
      assert.deepEqual(await cardRows(customerId), []);
      const atProcessor = await t.processor.listPaymentMethods(customerId);
      assert.deepEqual(atProcessor, []);
    });
  });

  describe('default card rules', () => {
    it('the first card is the default; a later card marked isDefault takes over', async () => {
      const customerId = await createCustomer(t.api);
      const first = await saveCard(t.api, customerId);
      const second = newCardToken();
      await t.api.post('/payment/payment-method-details', details(customerId, second, { isDefault: false }));
      let rows = await cardRows(customerId);
      assert.deepEqual(rows.map((r) => [r.id, r.is_default]), [[first, true], [second, false]]);
      const third = newCardToken();
      await t.api.post('/payment/payment-method-details', details(customerId, third, { isDefault: true }));
      rows = await cardRows(customerId);
      assert.deepEqual(rows.map((r) => [r.id, r.is_default]), [[first, false], [second, false], [third, true]]);
    });

    it('PUT makes a card the default, and the old default stops being one', async () => {
      const customerId = await createCustomer(t.api);
      const first = await saveCard(t.api, customerId);
      const second = await saveCard(t.api, customerId);
      const response = await t.api.put('/payment/payment-method', { customerId, paymentMethodId: second, isDefault: true });
      assert.equal(response.status, 200);
      assert.equal(response.body.success, true);
      assert.equal(response.body.data.payment_method_id, second);
      assert.equal(response.body.data.is_default, true);
      assert.deepEqual((await cardRows(customerId)).map((r) => [r.id, r.is_default]), [[first, false], [second, true]]);
      const stripeCustomer = await t.db.query<{ data: { invoice_settings: { default_payment_method: string } } }>(
        'SELECT data FROM simulated_processor_objects WHERE id = $1',
        [customerId],
      );
      assert.equal(stripeCustomer.rows[0]!.data.invoice_settings.default_payment_method, second);
    });

    it('PUT answers 404 for another customer\'s card and 400 for isDefault false', async () => {
      const customerId = await createCustomer(t.api);
      const othersCard = await saveCard(t.api, await createCustomer(t.api));
      const response = await t.api.put('/payment/payment-method', { customerId, paymentMethodId: othersCard, isDefault: true });
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'payment_method_not_found');
      const own = await saveCard(t.api, customerId);
      const notTrue = await t.api.put('/payment/payment-method', { customerId, paymentMethodId: own, isDefault: false });
      assert.equal(notTrue.status, 400);
      assert.match(notTrue.body.message, /isDefault must be true/);
    });

    it('deleting the default promotes the most recently added remaining card', async () => {
      const customerId = await createCustomer(t.api);
      const first = await saveCard(t.api, customerId);
      const second = await saveCard(t.api, customerId);
      const third = await saveCard(t.api, customerId);
      const response = await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: first });
      assert.equal(response.status, 200);
      assert.deepEqual((await cardRows(customerId)).map((r) => [r.id, r.is_default]), [[second, false], [third, true]]);
    });

    it('concurrent saves leave exactly one default', async () => {
      const customerId = await createCustomer(t.api);
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          t.api.post('/payment/payment-method-details', details(customerId, newCardToken(), { isDefault: i % 2 === 0 })),
        ),
      );
      const rows = await cardRows(customerId);
      assert.equal(rows.length, 8);
      assert.equal(rows.filter((r) => r.is_default).length, 1);
    });
  });

  describe('GET /payment/payment-methods/:customerId', () => {
    it('lists the cards with the fields the web app reads, default first', async () => {
      const customerId = await createCustomer(t.api);
      const first = await saveCard(t.api, customerId);
      const second = newCardToken();
      await t.api.post('/payment/payment-method-details', details(customerId, second, { isDefault: true, cardholderName: 'Jane Roe' }));
      const response = await t.api.get(`/payment/payment-methods/${customerId}`);
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, {
        success: true,
        data: [
          { payment_method_id: second, card_brand: 'visa', card_last4: '4242', cardholder_name: 'Jane Roe', expiry_date: '12/34', is_default: true },
          { payment_method_id: first, card_brand: 'visa', card_last4: '4242', cardholder_name: null, expiry_date: '12/34', is_default: false },
        ],
      });
    });

    it('answers an empty list for a customer without cards, 404 for an unknown customer', async () => {
      const customerId = await createCustomer(t.api);
      assert.deepEqual((await t.api.get(`/payment/payment-methods/${customerId}`)).body, { success: true, data: [] });
      const unknown = await t.api.get('/payment/payment-methods/cus_unknown');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.code, 'customer_not_found');
    });
  });

  describe('DELETE /payment/payment-method', () => {
    it('deletes a card: the document\'s answer, gone here and detached at the processor', async () => {
      const customerId = await createCustomer(t.api);
      const card = await saveCard(t.api, customerId);
      const response = await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: card });
      assert.equal(response.status, 200);
      assert.equal(response.body.success, true);
      assert.deepEqual(response.body.data, { success: true, message: 'Payment method deleted successfully' });
      assert.deepEqual(await cardRows(customerId), []);
      assert.equal((await t.processor.retrievePaymentMethod(card)).customerId, null);
    });

    it('answers 404 for a card the customer does not have, and changes nothing', async () => {
      const customerId = await createCustomer(t.api);
      const othersCard = await saveCard(t.api, await createCustomer(t.api));
      const response = await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: othersCard });
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'payment_method_not_found');
      assert.notEqual((await t.processor.retrievePaymentMethod(othersCard)).customerId, null);
      const again = await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: newCardToken() });
      assert.equal(again.status, 404);
    });

    it('a deleted card cannot be charged any more', async () => {
      const customerId = await createCustomer(t.api);
      const card = await saveCard(t.api, customerId);
      await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: card });
      const response = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId: 'order_deleted_card' });
      assert.equal(response.status, 400);
      assert.equal(response.body.code, 'payment_method_unusable');
      assert.match(response.body.message, /detached/);
    });
  });

  describe('idempotency keys stay within Stripe\'s 255 characters', () => {
    it('a payment method id of 255 characters is saved, charged and deleted with bounded keys; 256 is refused', async () => {
      const customerId = await createCustomer(t.api);
      const long = `pm_${'A1b2C3'.repeat(42)}`;
      assert.equal(long.length, 255);
      const saved = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: long });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      const paid = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: long, orderId: `order_long_${Date.now()}` });
      assert.equal(paid.status, 200);
      assert.equal((await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: long })).status, 200);
      // The simulated processor refuses keys over 255 characters, as Stripe does; these went through, hashed.
      const { rows } = await t.db.query<{ key: string }>(
        "SELECT key FROM simulated_processor_idempotency_keys WHERE key LIKE $1 OR key LIKE 'pm-detach:~%'",
        [`pm-attach:${customerId}:%`],
      );
      assert.ok(rows.length >= 2, JSON.stringify(rows));
      for (const { key } of rows) {
        assert.ok(key.length <= 255, key);
        assert.match(key, /:~[A-Za-z0-9_-]{43}$/, 'the long id is hashed');
      }
      const tooLong = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: `${long}A` });
      assert.deepEqual([tooLong.status, tooLong.body.code], [400, 'validation_failed']);
    });
  });
});
