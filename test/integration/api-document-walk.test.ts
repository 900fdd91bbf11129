import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { walkApiDocument } from '../helpers/api-document-walk.js';
import { startTestApp, uniqueEmail, type Api, type TestApp } from '../helpers/app.js';
import { adminToken, platformUserToken, serviceToken } from '../helpers/tokens.js';

describe('the API document, examples 1 to 8 in order', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ jwks: true });
  });
  after(() => t.close());

  const bearer = (token: string): Api => t.anonymous.withToken(token);
  /** The platform's registered clients, as its client-credentials endpoint mints them (RS256, client_id, scope). */
  const paymentClient = async () => bearer(await serviceToken(t.jwks!.key, 'microservice_payment_client', 'payment.read payment.write'));
  const orderClient = async () => bearer(await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.read order.write'));

  it('walks through with an administrator\'s token, and the database agrees with every answer', async () => {
    const { customerId, paymentIntentId, refundId } = await walkApiDocument(bearer(await adminToken()));
    const { rows } = await t.db.query<Record<string, unknown>>(
      `SELECT c.processor_customer_id, p.status, p.amount, p.amount_received, r.processor_refund_id, r.amount AS refunded,
              (SELECT count(*)::int FROM payment_methods pm WHERE pm.customer_id = c.id) AS cards
       FROM payments p JOIN customers c ON c.id = p.customer_id JOIN refunds r ON r.payment_id = p.id
       WHERE p.processor_payment_intent_id = $1`,
      [paymentIntentId],
    );
    assert.deepEqual(rows, [
      { processor_customer_id: customerId, status: 'succeeded', amount: 2500, amount_received: 2500, processor_refund_id: refundId, refunded: 1000, cards: 1 },
    ]);
  });

  it('walks through with the payment service\'s client-credentials token', async () => {
    await walkApiDocument(await paymentClient());
  });

  it('walks through as the web app does: a platform user token, the order client paying, the payment client refunding', async () => {
    const email = uniqueEmail('web-user');
    const user = bearer(await platformUserToken(email));
    const { paymentIntentId } = await walkApiDocument(user, { email, paymentApi: await orderClient(), refundApi: await paymentClient() });
    // The customer may look at its own payment, but never refund it.
    assert.equal((await user.get(`/payment/payment-intent/${paymentIntentId}`)).status, 200);
    const refund = await user.post('/payment/refund', { paymentIntentId, amount: 100 });
    assert.equal(refund.status, 403);
    assert.equal(refund.body.code, 'forbidden');
  });

  it('walks through with a platform user token alone, up to the refund', async () => {
    const email = uniqueEmail('user-pays');
    await walkApiDocument(bearer(await platformUserToken(email)), { email, refundApi: await paymentClient() });
  });
});
