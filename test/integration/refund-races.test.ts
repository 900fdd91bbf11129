import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard, startTestApp, type TestApp } from '../helpers/app.js';

describe('concurrent refunds never pass the captured amount', () => {
  let t: TestApp;
  let second: TestApp;
  before(async () => {
    t = await startTestApp();
    second = await startTestApp({ sameDatabaseAs: t });
  });
  after(async () => {
    await second.close();
    await t.close();
  });

  async function paid(amount: number) {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    return (await pay(t.api, customerId, card, { amount })).body.data.payment_intent_id as string;
  }

  async function refundedAtProcessor(paymentIntentId: string) {
    const { rows } = await t.db.query<{ total: number }>(
      `SELECT COALESCE(SUM((data->>'amount')::int), 0)::int AS total FROM simulated_processor_objects
       WHERE type = 'refund' AND data->>'payment_intent' = $1 AND data->>'status' = 'succeeded'`,
      [paymentIntentId],
    );
    return rows[0]!.total;
  }

  for (const [name, instances] of [['one instance', 1], ['two instances on one database', 2]] as const) {
    it(`20 refunds of 10 % and one of 100 %, at once, on ${name}`, async () => {
      const amount = 10_000;
      const paymentIntentId = await paid(amount);
      const apis = instances === 1 ? [t.api] : [t.api, second.api];
      const requests = [
        ...Array.from({ length: 20 }, (_, i) => apis[i % apis.length]!.post('/payment/refund', { paymentIntentId, amount: amount / 10 })),
        apis[apis.length - 1]!.post('/payment/refund', { paymentIntentId, amount }),
      ];
      const responses = await Promise.all(requests);
      for (const r of responses) {
        assert.ok(r.status === 200 || (r.status === 400 && r.body.code === 'refund_exceeds_amount'), JSON.stringify(r.body));
      }
      const succeeded = responses.filter((r) => r.status === 200).reduce((sum, r) => sum + r.body.data.amount, 0);
      assert.ok(succeeded <= amount, `answered ${succeeded}`);
      const { rows } = await t.db.query<{ total: number }>(
        `SELECT COALESCE(SUM(r.amount), 0)::int AS total FROM refunds r JOIN payments p ON p.id = r.payment_id
         WHERE p.processor_payment_intent_id = $1 AND r.status = 'succeeded'`,
        [paymentIntentId],
      );
      assert.equal(rows[0]!.total, succeeded);
      assert.equal(await refundedAtProcessor(paymentIntentId), succeeded);
      // 200 % was asked for in tenths plus 100 % at once: whichever order they ran in, exactly all of it is refunded.
      assert.equal(succeeded, amount);
    });
  }
});
