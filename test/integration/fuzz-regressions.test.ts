import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomer, pay, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { tableDigest } from '../helpers/table-digest.js';

/** Defects the fuzz suite found, each kept from coming back. */
describe('fuzz suite findings', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  it('a payment refused because a payment awaiting 3-D Secure holds its order changes no row (the holder was rewritten)', async () => {
    const customerId = await createCustomer(t.api);
    const challenged = await pay(t.api, customerId, await saveCard(t.api, customerId, 'pm_card_authenticationRequired'), { orderId: 'order_held_by_3ds' });
    assert.equal(challenged.body.data.status, 'requires_action');
    const card = await saveCard(t.api, customerId);
    const before = await tableDigest(t.db);
    const refused = await pay(t.api, customerId, card, { orderId: 'order_held_by_3ds' });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'order_already_paid');
    assert.deepEqual(await tableDigest(t.db), before);
    // A status poll that learns nothing new leaves the row as it was too.
    assert.equal((await t.api.get(`/payment/payment-intent/${challenged.body.data.payment_intent_id}`)).body.data.status, 'requires_action');
    assert.deepEqual(await tableDigest(t.db), before);
  });

  it('a number in a query string that is not finite (1e309) is a 400 naming it, not a 500', async () => {
    for (const url of ['/payment/payments?limit=1e309', '/payment/payments?orderId=o&limit=-1e309', '/payment/admin/outbox?limit=1e400']) {
      const response = await t.api.get(url);
      assert.equal(response.status, 400, `${url}: ${JSON.stringify(response.body)}`);
      assert.deepEqual([response.body.code, response.body.param], ['validation_failed', 'limit']);
    }
  });
});
