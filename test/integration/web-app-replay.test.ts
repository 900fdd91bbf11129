import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SimulatedFaults } from '../../src/processors/simulated/simulated-processor.js';
import { outage, startTestApp, uniqueEmail, type TestApp } from '../helpers/app.js';
import { platformUserToken, serviceToken } from '../helpers/tokens.js';
import { WebAppClient } from '../helpers/web-app.js';
import { simulatedStripeJs, type NewCard } from '../stripe-server/stripe-js.js';
import { startStripeTestApp, type StripeTestApp } from '../stripe-server/stripe-test-app.js';
import { openCardholderName } from '../helpers/stored-text.js';

/** One processor the replay runs on: the app, Stripe.js's card making, and what the processor holds. */
interface Harness {
  t: TestApp;
  newCard: NewCard;
  /** The processor's intents for an order (by the metadata the service sets). */
  intentsFor(orderId: string): Promise<Array<{ id: string; status: string }>>;
  /** The answers to the next payment creation are lost after the processor acted: the service answers 503. */
  loseNextCreationAnswers(): void;
  close(): Promise<void>;
}

async function simulatedHarness(): Promise<Harness> {
  let lose = false;
  const faults: SimulatedFaults = {
    after(operation) {
      if (operation === 'payment_intents.create' && lose) {
        lose = false;
        throw outage(operation);
      }
    },
  };
  const t = await startTestApp({ jwks: true, faults, env: { RECONCILE_GRACE_MS: '0' } });
  return {
    t,
    newCard: simulatedStripeJs(t.db),
    intentsFor: async (orderId) =>
      (await t.db.query<{ id: string; status: string }>(
        `SELECT id, data->>'status' AS status FROM simulated_processor_objects WHERE type = 'payment_intent' AND data->'metadata'->>'order_id' = $1`,
        [orderId],
      )).rows,
    loseNextCreationAnswers: () => (lose = true),
    close: () => t.close(),
  };
}

async function stripeHarness(): Promise<Harness> {
  const t: StripeTestApp = await startStripeTestApp({ jwks: true, env: { RECONCILE_GRACE_MS: '0' } });
  return {
    t,
    newCard: t.newCard,
    intentsFor: async (orderId) =>
      (await t.stripe.objects<{ id: string; status: string; metadata: Record<string, string> }>('payment_intent'))
        .filter((pi) => pi.metadata['order_id'] === orderId)
        .map(({ id, status }) => ({ id, status })),
    // The first try and the SDK's two retries all lose their answer.
    loseNextCreationAnswers: () => t.stripe.dropAfterProcessing({ method: 'POST', path: '/v1/payment_intents', times: 3 }),
    close: () => t.close(),
  };
}

const newOrder = () => `order_web_${randomBytes(6).toString('hex')}`;

for (const [name, start] of [['simulated processor', simulatedHarness], ['Stripe test server', stripeHarness]] as const) {
  describe(`the web app's own calls, in its order, exactly as CONTRACTS.md records them (${name})`, () => {
    let h: Harness;
    let app: WebAppClient;
    const email = uniqueEmail('webapp');
    let customerId: string;
    let visa: string;
    let placeholderCard: string;
    let third: string;

    before(async () => {
      h = await start();
      // The signed-in user: the .NET claim URIs only. The checkout: the order service's RS256 token, scope as a JSON array.
      const user = h.t.anonymous.withToken(await platformUserToken(email));
      const order = h.t.anonymous.withToken(await serviceToken(h.t.jwks!.key, 'microservice_order_client', ['order.read', 'order.write'], { expiresIn: 3600 }));
      app = new WebAppClient(user, order);
    });
    after(() => h.close());

    const row = async (processorId: string) =>
      (await h.t.db.query<{ status: string; customer: string; order_id: string; amount: number }>(
        `SELECT p.status, c.processor_customer_id AS customer, p.order_id, p.amount FROM payments p JOIN customers c ON c.id = p.customer_id
         WHERE p.processor_payment_intent_id = $1`,
        [processorId],
      )).rows[0];
    const stored = async (paymentMethodId: string) =>
      (await h.t.db.query<{ card_brand: string; card_last4: string; exp_month: number; exp_year: number; cardholder_name: string | null; is_default: boolean }>(
        'SELECT card_brand, card_last4, exp_month, exp_year, cardholder_name, is_default FROM payment_methods WHERE id = $1',
        [paymentMethodId],
      )).rows.map((row) => ({ ...row, cardholder_name: openCardholderName(h.t.app.services.sealedFields, paymentMethodId, row.cardholder_name) }))[0];

    it('registers: the customer id is read at the top level, and the customer exists', async () => {
      assert.equal(await app.lookUp(email), null, 'no customer yet: 404');
      const registered = await app.register('Jane Roe', email);
      assert.ok('customerId' in registered, `registration must not report "Failed to create customer": ${JSON.stringify(registered)}`);
      customerId = registered.customerId;
      assert.match(customerId, /^cus_/);
      const { rows } = await h.t.db.query('SELECT 1 FROM customers WHERE processor_customer_id = $1', [customerId]);
      assert.equal(rows.length, 1);
    });

    it('looks the customer up by its URL-encoded email', async () => {
      assert.equal(await app.lookUp(email), customerId);
    });

    it('saves a card from Stripe.js\'s data: stored as the processor has it, "Payment method added"', async () => {
      visa = await h.newCard('tok_visa');
      const pm = await h.t.processor.retrievePaymentMethod(visa);
      const saved = await app.saveCard(customerId, visa, { last4: pm.last4, expMonth: pm.expMonth!, expYear: pm.expYear!, brand: pm.brand, name: 'Jane Roe' });
      assert.deepEqual([saved.ok, saved.success, saved.message], [true, true, 'Payment method added'], JSON.stringify(saved.response.body));
      assert.deepEqual(await stored(visa), { card_brand: 'visa', card_last4: '4242', exp_month: 12, exp_year: 2034, cardholder_name: 'Jane Roe', is_default: true });
    });

    it('saves a card with every placeholder and the unknown brand: accepted, the processor\'s details stored', async () => {
      placeholderCard = await h.newCard('tok_mastercard');
      const saved = await app.saveCard(customerId, placeholderCard, {});
      assert.deepEqual([saved.ok, saved.success, saved.message], [true, true, 'Payment method added'], JSON.stringify(saved.response.body));
      assert.deepEqual(await stored(placeholderCard), {
        card_brand: 'mastercard', card_last4: '4444', exp_month: 12, exp_year: 2034, cardholder_name: null, is_default: false,
      });
      // Stripe's own brand `link`, too.
      const linked = await h.newCard('tok_visa');
      const link = await app.saveCard(customerId, linked, { brand: 'link' });
      assert.equal(link.ok, true, JSON.stringify(link.response.body));
      assert.equal((await stored(linked))?.card_brand, 'visa');
      third = linked;
    });

    it('keeps refusing malformed values, and says when a well-formed one contradicts the processor', async () => {
      for (const [card, param] of [[{ last4: '424' }, 'last4'], [{ expMonth: 13, expYear: 2029 }, 'expiryDate']] as const) {
        const refused = await app.saveCard(customerId, await h.newCard('tok_visa'), card);
        assert.deepEqual([refused.response.status, refused.response.body.code], [400, 'validation_failed']);
        assert.match(refused.response.body.message, new RegExp(param));
      }
      const contradicting = await h.newCard('tok_visa');
      const saved = await app.saveCard(customerId, contradicting, { last4: '1111', brand: 'mastercard', expMonth: 1, expYear: 2031 });
      assert.equal(saved.ok, true);
      assert.match(saved.message!, /^Payment method added; the processor's card details were stored where the request differed: /);
      assert.match(saved.message!, /cardType mastercard \(the processor has visa\)/);
      assert.match(saved.message!, /last4 1111 \(the processor has 4242\)/);
      assert.match(saved.message!, /expiryDate 01\/31 \(the processor has 12\/34\)/);
      assert.deepEqual(await stored(contradicting), { card_brand: 'visa', card_last4: '4242', exp_month: 12, exp_year: 2034, cardholder_name: null, is_default: false });
      await app.deleteCard(customerId, contradicting);
    });

    it('lists the cards with the fields the app reads', async () => {
      const cards = await app.listCards(customerId);
      assert.deepEqual(cards.map((c) => [c.id, c.brand, c.last4, c.expiryDate, c.isDefault]), [
        [visa, 'visa', '4242', '12/34', true],
        [placeholderCard, 'mastercard', '4444', '12/34', false],
        [third, 'visa', '4242', '12/34', false],
      ]);
      assert.equal(cards[0]!.cardholderName, 'Jane Roe');
    });

    it('makes a card the default, and deletes one', async () => {
      assert.equal((await app.makeDefault(customerId, placeholderCard)).success, true);
      const deleted = await app.deleteCard(customerId, third);
      assert.deepEqual([deleted.ok, deleted.success, deleted.message], [true, true, 'Payment method deleted successfully']);
      const cards = await app.listCards(customerId);
      assert.deepEqual(cards.map((c) => [c.id, c.isDefault]), [[placeholderCard, true], [visa, false]]);
    });

    it('pays with a saved card: data.paymentIntentId is the processor\'s real id, never an invented one', async () => {
      const orderId = newOrder();
      const paid = await app.pay({ orderId, amount: 2500, paymentMethodId: visa, customerId });
      assert.equal(paid.success, true, JSON.stringify(paid.response.body));
      assert.equal(paid.invented, false);
      assert.match(paid.paymentId!, /^pi_[A-Za-z0-9]{24}$/);
      assert.deepEqual(await h.intentsFor(orderId), [{ id: paid.paymentId, status: 'succeeded' }]);
      assert.deepEqual(await row(paid.paymentId!), { status: 'succeeded', customer: customerId, order_id: orderId, amount: 2500 });
      // Every later lookup by that id finds it.
      const looked = await h.t.api.get(`/payment/payment-intent/${paid.paymentId}`);
      assert.deepEqual([looked.status, looked.body.data.payment_intent_id], [200, paid.paymentId]);
    });

    it('pays with customerId "": the customer the saved card belongs to pays; an unsaved card is 400 naming customerId', async () => {
      const orderId = newOrder();
      const paid = await app.pay({ orderId, amount: 1800, paymentMethodId: placeholderCard, customerId: '' });
      assert.equal(paid.success, true, JSON.stringify(paid.response.body));
      assert.equal(paid.invented, false);
      assert.deepEqual(await row(paid.paymentId!), { status: 'succeeded', customer: customerId, order_id: orderId, amount: 1800 });

      const unsaved = await h.newCard('tok_visa');
      const refused = await app.pay({ orderId: newOrder(), amount: 1800, paymentMethodId: unsaved, customerId: '' });
      assert.deepEqual([refused.success, refused.response.status, refused.response.body.code, refused.response.body.param], [false, 400, 'validation_failed', 'customerId']);
      assert.match(refused.message!, /customerId is required/);
    });

    it('pays with customerId "" on a user token: only for its own customer\'s card', async () => {
      const other = uniqueEmail('other');
      const otherUser = h.t.anonymous.withToken(await platformUserToken(other));
      const otherId = (await otherUser.post('/payment/customer', { name: 'Other', email: other })).body.customerId as string;
      const otherCard = await h.newCard('tok_visa');
      assert.equal((await otherUser.post('/payment/payment-method', { customerId: otherId, paymentMethodId: otherCard })).status, 201);

      const user = h.t.anonymous.withToken(await platformUserToken(email));
      const body = (card: string) => ({ orderId: newOrder(), amount: 1200, currency: 'usd', paymentMethodId: card, customerId: '' });
      const own = await user.post('/payment/payment-intent', body(visa));
      assert.equal(own.status, 200, JSON.stringify(own.body));
      // Another customer's card answers exactly as a card saved to no one: nothing to probe.
      const theirs = await user.post('/payment/payment-intent', body(otherCard));
      const nobody = await user.post('/payment/payment-intent', body(await h.newCard('tok_visa')));
      assert.deepEqual([theirs.status, theirs.body.param], [400, 'customerId']);
      assert.equal(theirs.body.message.replace(otherCard, 'pm'), nobody.body.message.replace(/pm_\w+/, 'pm'));
      assert.equal(((await h.t.db.query('SELECT 1 FROM payments p JOIN customers c ON c.id = p.customer_id WHERE c.processor_customer_id = $1', [otherId])).rows.length), 0);
    });

    it('pays with decimal dollars: 400 naming the integer to send, nothing charged', async () => {
      const orderId = newOrder();
      const paid = await app.pay({ orderId, amount: 65.22, paymentMethodId: visa, customerId });
      assert.deepEqual([paid.success, paid.response.status, paid.response.body.code], [false, 400, 'invalid_amount']);
      assert.match(paid.message!, /6522/);
      assert.deepEqual(await h.intentsFor(orderId), []);
    });

    it('retries a 5xx as its client does: never a second charge, and the payment settles', async () => {
      const orderId = newOrder();
      h.loseNextCreationAnswers();
      const sentBefore = app.sent.length;
      const paid = await app.pay({ orderId, amount: 3100, paymentMethodId: visa, customerId });
      const attempts = app.sent.slice(sentBefore).map(([, , status]) => status);
      // The first answer is 503 (outcome unknown); the retry finds the order held by that payment.
      assert.deepEqual(attempts, [503, 409]);
      assert.equal(paid.success, false, 'the app is never told "paid" for a payment whose outcome is not known');
      assert.equal(paid.response.body.code, 'order_already_paid');
      const intents = await h.intentsFor(orderId);
      assert.equal(intents.length, 1, 'one intent at the processor, whatever the retries');
      assert.equal(intents[0]!.status, 'succeeded');
      // The service settles it (the reconciler resends the creation under the row's key): one payment, succeeded.
      await h.t.app.services.reconciler.runOnce();
      const { rows } = await h.t.db.query<{ status: string; processor_payment_intent_id: string }>(
        'SELECT status, processor_payment_intent_id FROM payments WHERE order_id = $1',
        [orderId],
      );
      assert.deepEqual(rows, [{ status: 'succeeded', processor_payment_intent_id: intents[0]!.id }]);
      assert.deepEqual(await h.intentsFor(orderId), intents, 'still one charge');
    });
  });
}
