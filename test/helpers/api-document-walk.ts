import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Api } from './app.js';

/**
 * The API document's examples 1 to 8, in order, with the document's bodies. What differs from the
 * document's text, and why: the ids are the ones the service answered (the document's are
 * placeholders); example 4 saves a second card with an expiry in the future (12/25 has passed);
 * example 6 deletes the card of example 3 and example 7 pays with the card of example 4, because a
 * deleted card can never be charged again, at Stripe as here.
 */
export interface WalkOptions {
  /** The customer's email; a customer's user token must name its own. */
  email?: string;
  /** Who charges (example 7): the web app does it with the order service's token. Default: `api`. */
  paymentApi?: Api;
  /** Who refunds (example 8): never a customer. Default: `api`. */
  refundApi?: Api;
  /**
   * Example 3's card, as Stripe.js made it in the browser. Default: a fresh `pm_` id, which only the
   * simulated processor takes (as a Visa ending 4242); at Stripe it must be a card Stripe made.
   */
  firstCard?: string;
}

export async function walkApiDocument(api: Api, options: WalkOptions = {}): Promise<{ customerId: string; paymentIntentId: string; refundId: string }> {
  const email = options.email ?? `customer-${randomBytes(5).toString('hex')}@example.com`;
  const firstCard = options.firstCard ?? `pm_${randomBytes(6).toString('hex')}`;

  // 1. Create a Customer
  const created = await api.post('/payment/customer', { email, name: 'John Doe' });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(Object.keys(created.body.data), ['customerId']);
  const customerId: string = created.body.data.customerId;
  assert.equal(created.body.customerId, customerId, 'and at the top level, where the web app reads it');
  assert.match(customerId, /^cus_/);

  // 2. Get a Customer
  const found = await api.get(`/payment/customer/${encodeURIComponent(email)}`);
  assert.equal(found.status, 200);
  assert.deepEqual(found.body, { success: true, data: { customerId } });

  // 3. Add a Payment Method
  const attached = await api.post('/payment/payment-method', { customerId, paymentMethodId: firstCard });
  assert.equal(attached.status, 201, JSON.stringify(attached.body));
  assert.deepEqual(attached.body, {
    success: true,
    data: { payment_method_id: firstCard, card_last4: '4242', card_brand: 'visa' },
  });

  // 4. Add a Payment Method with Details
  const detailed = await api.post('/payment/payment-method-details', {
    customerId,
    paymentMethodId: 'pm_card_visa',
    cardholderName: 'John Doe',
    last4: '4242',
    cardType: 'visa',
    expiryDate: '12/34',
    isDefault: true,
  });
  assert.equal(detailed.status, 201, JSON.stringify(detailed.body));
  const secondCard: string = detailed.body.data.payment_method_id;
  assert.match(secondCard, /^pm_/);
  assert.deepEqual(detailed.body.data, {
    payment_method_id: secondCard,
    card_last4: '4242',
    card_brand: 'visa',
    cardholder_name: 'John Doe',
    expiry_date: '12/34',
    is_default: true,
  });

  // 5. List Payment Methods
  const listed = await api.get(`/payment/payment-methods/${customerId}`);
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.body.data.map((card: { payment_method_id: string; is_default: boolean }) => [card.payment_method_id, card.is_default]),
    [[secondCard, true], [firstCard, false]],
  );
  for (const card of listed.body.data) {
    assert.deepEqual(Object.keys(card).sort(), ['card_brand', 'card_last4', 'cardholder_name', 'expiry_date', 'is_default', 'payment_method_id']);
  }

  // 6. Delete Payment Method
  const deleted = await api.delete('/payment/payment-method', { customerId, paymentMethodId: firstCard });
  assert.equal(deleted.status, 200);
  assert.deepEqual(deleted.body.data, { success: true, message: 'Payment method deleted successfully' });

  // 7. Create Payment Intent
  const orderId = `order_${randomBytes(5).toString('hex')}`;
  const paid = await (options.paymentApi ?? api).post('/payment/payment-intent', {
    amount: 2500,
    customerId,
    paymentMethodId: secondCard,
    orderId,
    currency: 'usd',
    returnUrl: 'https://example.com/checkout/complete',
  });
  assert.equal(paid.status, 200, JSON.stringify(paid.body));
  const paymentIntentId: string = paid.body.data.payment_intent_id;
  assert.match(paymentIntentId, /^pi_/);
  // The document's four fields, and paymentIntentId (the same id), where the CommuneDrop web app reads it.
  assert.deepEqual(paid.body, {
    success: true,
    data: { payment_intent_id: paymentIntentId, paymentIntentId, status: 'succeeded', amount: 2500, currency: 'usd' },
  });

  // 8. Process Refund
  const refunded = await (options.refundApi ?? api).post('/payment/refund', { paymentIntentId, amount: 1000, reason: 'customer_requested' });
  assert.equal(refunded.status, 200, JSON.stringify(refunded.body));
  const refundId: string = refunded.body.data.refund_id;
  assert.match(refundId, /^re_/);
  assert.deepEqual(refunded.body, {
    success: true,
    data: { refund_id: refundId, status: 'succeeded', amount: 1000, currency: 'usd', payment_intent: paymentIntentId },
  });
  return { customerId, paymentIntentId, refundId };
}
