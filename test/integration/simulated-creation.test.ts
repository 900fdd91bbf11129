/**
 * The simulated processor creates an intent in one statement (writeOnce's `at-once` mode): its reads
 * unlocked, then the intent, its events and the key's answer written together. Stripe's idempotency
 * rules hold as they do for the transactional writes: the same key and parameters answer the first
 * answer (a decline included) and make nothing more, even sent at the same moment; other parameters
 * are an idempotency_error; a creation refused (no such customer) writes no intent.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SimulatedStripe } from '../../src/processors/simulated/simulated-stripe.js';
import { SimulatedLedger } from '../../src/store/simulated-ledger.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('the simulated processor creating an intent', () => {
  let t: TestApp;
  let stripe: SimulatedStripe;
  let customer: string;
  before(async () => {
    t = await startTestApp();
    stripe = new SimulatedStripe(new SimulatedLedger(t.db));
    customer = (await stripe.createCustomer({ email: 'at-once@example.com' })).id;
  });
  after(() => t.close());

  const count = async (table: string, where: string, value: string) =>
    Number((await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, [value])).rows[0]!.n);
  const intentsOf = (orderId: string) => count('simulated_processor_objects', "type = 'payment_intent' AND data->'metadata'->>'order_id' = $1", orderId);
  const eventsOf = (intentId: string) => count('simulated_processor_events', "data->'data'->'object'->>'id' = $1", intentId);

  const create = (orderId: string, paymentMethod: string, key: string, amount = 1200) =>
    stripe.createPaymentIntent({ amount, currency: 'usd', customer, payment_method: paymentMethod, confirm: true, metadata: { order_id: orderId } }, key);

  it('one intent and one answer for ten sends of one key at once; its events written with it', async () => {
    const orderId = `order_${randomBytes(4).toString('hex')}`;
    const key = `k-${randomBytes(6).toString('hex')}`;
    const answers = await Promise.all(Array.from({ length: 10 }, () => create(orderId, 'pm_card_visa', key)));
    assert.equal(new Set(answers.map((a) => a.id)).size, 1, 'every send answered the same intent');
    assert.equal(answers[0]!.status, 'succeeded');
    assert.equal(await intentsOf(orderId), 1);
    assert.equal(await eventsOf(answers[0]!.id), 1, 'payment_intent.succeeded, once');
  });

  it('a decline is the key\'s answer too, replayed without a second intent; other parameters are an idempotency_error', async () => {
    const orderId = `order_${randomBytes(4).toString('hex')}`;
    const key = `k-${randomBytes(6).toString('hex')}`;
    const first = await create(orderId, 'pm_card_chargeDeclined', key).then(() => null, (error: unknown) => error as { statusCode: number; raw?: unknown });
    const again = await create(orderId, 'pm_card_chargeDeclined', key).then(() => null, (error: unknown) => error as { statusCode: number });
    assert.equal(first?.statusCode, 402);
    assert.deepEqual(again, first, 'the same decline');
    assert.equal(await intentsOf(orderId), 1);
    await assert.rejects(create(orderId, 'pm_card_chargeDeclined', key, 1300), (error: { statusCode?: number; message?: string }) =>
      error.statusCode === 400 && /same parameters/.test(error.message ?? ''));
    assert.equal(await intentsOf(orderId), 1);
  });

  it('payments at once with a pm_ id never seen (the demo convenience) all go through, on one card', async () => {
    const demo = new SimulatedStripe(new SimulatedLedger(t.db), { acceptAnyPaymentMethodId: true });
    const orderId = `order_${randomBytes(4).toString('hex')}`;
    const card = `pm_unseen${randomBytes(4).toString('hex')}`;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) =>
      demo.createPaymentIntent({ amount: 1200, currency: 'usd', customer, payment_method: card, confirm: true, metadata: { order_id: orderId } }, `k-${orderId}-${i}`)));
    assert.deepEqual(answers.map((a) => a.status), Array(6).fill('succeeded'));
    assert.equal(await intentsOf(orderId), 6);
    assert.equal(await count('simulated_processor_objects', "type = 'payment_method' AND id = $1", card), 1);
  });

  it('a refusal before anything is made writes no intent; its answer is kept for its key', async () => {
    const orderId = `order_${randomBytes(4).toString('hex')}`;
    const key = `k-${randomBytes(6).toString('hex')}`;
    const refused = () => stripe.createPaymentIntent({ amount: 1200, currency: 'usd', customer: 'cus_nobody', payment_method: 'pm_card_visa', confirm: true, metadata: { order_id: orderId } }, key);
    await assert.rejects(refused(), (error: { statusCode?: number }) => error.statusCode === 404);
    await assert.rejects(refused(), (error: { statusCode?: number }) => error.statusCode === 404);
    assert.equal(await intentsOf(orderId), 0);
    assert.equal(await count('simulated_processor_idempotency_keys', 'key = $1', key), 1);
  });
});
