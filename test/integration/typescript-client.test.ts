import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createPaymentClient, type Answer, type PaymentClient } from '../../clients/typescript/src/index.js';
import { processorCharges, startTestApp, uniqueEmail, type TestApp } from '../helpers/app.js';
import { adminToken } from '../helpers/tokens.js';

/**
 * The generated client against the running service over real HTTP: every call below is checked by
 * `tsc` against the types generated from the served document, and at run time against the service,
 * so a field renamed in a schema breaks the build here and this test.
 */
describe('the TypeScript client (clients/typescript) against the running service', () => {
  let t: TestApp;
  let client: PaymentClient;

  before(async () => {
    t = await startTestApp();
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    client = createPaymentClient({ baseUrl: address, token: () => adminToken() });
  });
  after(() => t.close());

  it('walks the API document, examples 1 to 8, and the database agrees', async () => {
    const email = uniqueEmail('client-walk');
    const firstCard = `pm_${randomBytes(6).toString('hex')}`;

    // 1. Create a Customer
    const created = await client.POST('/payment/customer', { body: { email, name: 'John Doe' } });
    assert.equal(created.response.status, 201, JSON.stringify(created.error));
    assert.ok(created.data);
    const customerId = created.data.data.customerId;
    assert.match(customerId, /^cus_/);

    // 2. Get a Customer
    const found = await client.GET('/payment/customer/{email}', { params: { path: { email } } });
    assert.deepEqual(found.data, { success: true, data: { customerId } });

    // 3. Add a Payment Method
    const attached = await client.POST('/payment/payment-method', { body: { customerId, paymentMethodId: firstCard } });
    assert.equal(attached.response.status, 201);
    assert.deepEqual(attached.data?.data, { payment_method_id: firstCard, card_last4: '4242', card_brand: 'visa' });

    // 4. Add a Payment Method with Details (an expiry in the future: the document's 12/25 has passed)
    const detailed = await client.POST('/payment/payment-method-details', {
      body: { customerId, paymentMethodId: 'pm_card_visa', cardholderName: 'John Doe', last4: '4242', cardType: 'visa', expiryDate: '12/34', isDefault: true },
    });
    assert.equal(detailed.response.status, 201);
    assert.ok(detailed.data);
    assert.equal(detailed.data.message, 'Payment method added');
    const secondCard = detailed.data.data.payment_method_id;
    assert.deepEqual(detailed.data.data, {
      payment_method_id: secondCard,
      card_last4: '4242',
      card_brand: 'visa',
      cardholder_name: 'John Doe',
      expiry_date: '12/34',
      is_default: true,
    });

    // 5. List Payment Methods
    const listed = await client.GET('/payment/payment-methods/{customerId}', { params: { path: { customerId } } });
    assert.deepEqual(listed.data?.data.map((card) => [card.payment_method_id, card.is_default]), [[secondCard, true], [firstCard, false]]);

    // 6. Delete Payment Method
    const deleted = await client.DELETE('/payment/payment-method', { body: { customerId, paymentMethodId: firstCard } });
    assert.deepEqual(deleted.data, {
      success: true,
      message: 'Payment method deleted successfully',
      data: { success: true, message: 'Payment method deleted successfully' },
    });

    // 7. Create Payment Intent (with the card of example 4: a deleted card is never charged)
    const paid = await client.POST('/payment/payment-intent', {
      body: { amount: 2500, customerId, paymentMethodId: secondCard, orderId: `order_${randomBytes(5).toString('hex')}`, currency: 'usd', returnUrl: 'https://example.com/checkout/complete' },
    });
    assert.equal(paid.response.status, 200, JSON.stringify(paid.error));
    assert.ok(paid.data);
    const paymentIntentId = paid.data.data.payment_intent_id;
    assert.deepEqual(paid.data, { success: true, data: { payment_intent_id: paymentIntentId, paymentIntentId, status: 'succeeded', amount: 2500, currency: 'usd' } });

    // 8. Process Refund
    const refunded = await client.POST('/payment/refund', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { paymentIntentId, amount: 1000, reason: 'customer_requested' },
    });
    assert.ok(refunded.data);
    const refundId = refunded.data.data.refund_id;
    assert.deepEqual(refunded.data.data, { refund_id: refundId, status: 'succeeded', amount: 1000, currency: 'usd', payment_intent: paymentIntentId });

    const { rows } = await t.db.query(
      `SELECT c.processor_customer_id, p.amount_received, r.processor_refund_id, r.amount AS refunded,
              (SELECT count(*)::int FROM payment_methods pm WHERE pm.customer_id = c.id) AS cards
       FROM payments p JOIN customers c ON c.id = p.customer_id JOIN refunds r ON r.payment_id = p.id
       WHERE p.processor_payment_intent_id = $1`,
      [paymentIntentId],
    );
    assert.deepEqual(rows, [{ processor_customer_id: customerId, amount_received: 2500, processor_refund_id: refundId, refunded: 1000, cards: 1 }]);
  });

  it('pays with an Idempotency-Key, replays it, refunds in two parts, and answers typed errors', async () => {
    const created = await client.POST('/payment/customer', { body: { email: uniqueEmail('client-pay') } });
    assert.ok(created.data);
    const customerId = created.data.data.customerId;
    const saved = await client.POST('/payment/payment-method', { body: { customerId, paymentMethodId: 'pm_card_visa' } });
    assert.ok(saved.data);
    const card = saved.data.data.payment_method_id;
    const orderId = `order_${randomBytes(5).toString('hex')}`;

    // A retry with the same key is the first answer again, and the card is charged once.
    const payment = { params: { header: { 'Idempotency-Key': randomUUID() } }, body: { amount: 5000, currency: 'usd', customerId, paymentMethodId: card, orderId } };
    const paid = await client.POST('/payment/payment-intent', payment);
    const replayed = await client.POST('/payment/payment-intent', payment);
    assert.ok(paid.data);
    assert.deepEqual(replayed.data, paid.data);
    assert.equal(replayed.response.headers.get('idempotent-replayed'), 'true');
    const paymentIntentId = paid.data.data.payment_intent_id;
    assert.deepEqual((await processorCharges(t.db, orderId)).map((charge) => charge.amount), [5000]);

    const first = await client.POST('/payment/refund', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: { paymentIntentId, amount: 2000, reason: 'requested_by_customer' },
    });
    assert.equal(first.data?.data.status, 'succeeded');

    // Too much: the error is typed, with the amount that is left.
    const tooMuch = await client.POST('/payment/refund', { params: { header: { 'Idempotency-Key': randomUUID() } }, body: { paymentIntentId, amount: 4000 } });
    assert.equal(tooMuch.response.status, 400);
    assert.equal(tooMuch.error?.code, 'refund_exceeds_amount');
    assert.equal(tooMuch.error?.amount_remaining, 3000);

    // Without a key, a refund is refused before anything is refunded: the error is typed.
    const unkeyed = await client.POST('/payment/refund', { body: { paymentIntentId } });
    assert.deepEqual([unkeyed.response.status, unkeyed.error?.code], [400, 'idempotency_key_required']);

    const rest = await client.POST('/payment/refund', { params: { header: { 'Idempotency-Key': randomUUID() } }, body: { paymentIntentId } });
    const restData: Answer<'createRefund', 200>['data'] | undefined = rest.data?.data;
    assert.equal(restData?.amount, 3000);

    const refunds = await client.GET('/payment/refunds', { params: { query: { paymentIntentId } } });
    assert.deepEqual(refunds.data?.data.map((refund) => [refund.amount, refund.reason]), [[3000, null], [2000, 'requested_by_customer']]);
    const status = await client.GET('/payment/payment-intent/{id}', { params: { path: { id: paymentIntentId } } });
    assert.ok(status.data);
    assert.deepEqual(
      { status: status.data.data.status, received: status.data.data.amount_received, refunded: status.data.data.amount_refunded, order: status.data.data.order_id },
      { status: 'succeeded', received: 5000, refunded: 5000, order: orderId },
    );
    const { rows } = await t.db.query<{ amount: number; status: string }>(
      `SELECT r.amount, r.status FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.processor_payment_intent_id = $1 ORDER BY r.amount`,
      [paymentIntentId],
    );
    assert.deepEqual(rows, [{ amount: 2000, status: 'succeeded' }, { amount: 3000, status: 'succeeded' }]);

    // A declined card and a second payment for the paid order are typed errors too.
    const declined = await client.POST('/payment/payment-intent', {
      body: { amount: 1500, customerId, paymentMethodId: 'pm_card_chargeDeclinedInsufficientFunds', orderId: `order_${randomBytes(5).toString('hex')}` },
    });
    assert.equal(declined.response.status, 402);
    assert.deepEqual([declined.error?.code, declined.error?.decline_code], ['card_declined', 'insufficient_funds']);
    const again = await client.POST('/payment/payment-intent', { body: { amount: 5000, customerId, paymentMethodId: card, orderId } });
    assert.equal(again.response.status, 409);
    assert.equal(again.error?.code, 'order_already_paid');
    assert.equal(again.error?.payment_intent_id, paymentIntentId);
  });
});
