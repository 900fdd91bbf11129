import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  createCustomer,
  outage,
  pay,
  processorCharges,
  saveCard,
  startTestApp,
  type Api,
  type TestApp,
} from '../helpers/app.js';
import { platformUserToken, signHs256 } from '../helpers/tokens.js';

describe('Idempotency-Key and charging once', () => {
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

  async function customerWithCard(api: Api = t.api) {
    const customerId = await createCustomer(api);
    return { customerId, card: await saveCard(api, customerId) };
  }

  const key = () => `key-${randomUUID()}`;

  it('replays the first answer for the same key and parameters, with Idempotent-Replayed, and charges once', async () => {
    const { customerId, card } = await customerWithCard();
    const orderId = `order_${randomUUID()}`;
    const headers = { 'idempotency-key': key() };
    const a = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId }, headers);
    const b = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId }, headers);
    assert.equal(a.status, 200);
    assert.equal(a.headers['idempotent-replayed'], undefined);
    assert.equal(b.status, 200);
    assert.equal(b.headers['idempotent-replayed'], 'true');
    assert.deepEqual(b.body, a.body);
    assert.equal((await processorCharges(t.db, orderId)).length, 1);
  });

  it('answers 400 idempotency_error for the same key with other parameters, and changes nothing', async () => {
    const { customerId, card } = await customerWithCard();
    const headers = { 'idempotency-key': key() };
    const orderId = `order_${randomUUID()}`;
    await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId }, headers);
    const other = await t.api.post('/payment/payment-intent', { amount: 9900, customerId, paymentMethodId: card, orderId }, headers);
    assert.equal(other.status, 400);
    assert.equal(other.body.code, 'idempotency_error');
    const otherRoute = await t.api.post('/payment/customer', { email: 'x@example.com' }, headers);
    assert.equal(otherRoute.status, 400);
    assert.equal(otherRoute.body.code, 'idempotency_error');
    assert.deepEqual((await processorCharges(t.db, orderId)).map((c) => c.amount), [2500]);
  });

  it('refuses a key longer than 255 characters', async () => {
    const response = await t.api.post('/payment/customer', { email: 'long@example.com' }, { 'idempotency-key': 'k'.repeat(256) });
    assert.equal(response.status, 400);
    assert.equal(response.body.code, 'validation_failed');
    assert.match(response.body.message, /idempotency-key \(in the headers\) must NOT have more than 255 characters/);
    assert.equal(response.body.param, 'idempotency-key');
    const ok = await t.api.post('/payment/customer', { email: `long-${randomUUID()}@example.com` }, { 'idempotency-key': 'k'.repeat(255) });
    assert.equal(ok.status, 201);
  });

  it('does not store a request refused by validation: the key is still free', async () => {
    const headers = { 'idempotency-key': key() };
    const invalid = await t.api.post('/payment/customer', { email: 'not-an-email' }, headers);
    assert.equal(invalid.status, 400);
    const valid = await t.api.post('/payment/customer', { email: `fixed-${randomUUID()}@example.com` }, headers);
    assert.equal(valid.status, 201);
  });

  it('50 concurrent identical requests with one key: one charge, 50 identical answers', async () => {
    const { customerId, card } = await customerWithCard();
    const orderId = `order_${randomUUID()}`;
    const headers = { 'idempotency-key': key() };
    const body = { amount: 4200, customerId, paymentMethodId: card, orderId, currency: 'usd' };
    const responses = await Promise.all(Array.from({ length: 50 }, () => t.api.post('/payment/payment-intent', body, headers)));
    assert.ok(responses.every((r) => r.status === 200), JSON.stringify(responses.map((r) => r.status)));
    assert.equal(new Set(responses.map((r) => JSON.stringify(r.body))).size, 1);
    assert.equal((await processorCharges(t.db, orderId)).length, 1);
    const rows = await t.db.query('SELECT id FROM payments WHERE order_id = $1', [orderId]);
    assert.equal(rows.rowCount, 1);
  });

  it('the same across two instances on one database', async () => {
    const { customerId, card } = await customerWithCard();
    const orderId = `order_${randomUUID()}`;
    const headers = { 'idempotency-key': key() };
    const body = { amount: 4300, customerId, paymentMethodId: card, orderId };
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? t.api : second.api).post('/payment/payment-intent', body, headers)),
    );
    assert.ok(responses.every((r) => r.status === 200), JSON.stringify(responses.map((r) => [r.status, r.body.code])));
    assert.equal(new Set(responses.map((r) => JSON.stringify(r.body))).size, 1);
    assert.equal((await processorCharges(t.db, orderId)).length, 1);
  });

  it('50 concurrent requests without a key for one order: one charge, the rest 409 order_already_paid', async () => {
    const { customerId, card } = await customerWithCard();
    const orderId = `order_${randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 === 0 ? t.api : second.api).post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId }),
      ),
    );
    const ok = responses.filter((r) => r.status === 200);
    const conflicts = responses.filter((r) => r.status === 409);
    assert.equal(ok.length, 1);
    assert.equal(conflicts.length, 49);
    assert.ok(conflicts.every((r) => r.body.code === 'order_already_paid'));
    // Each refusal names the payment holding the order: its pi_ id, or while it was in flight, our own id for it.
    for (const id of new Set(conflicts.map((r) => r.body.payment_intent_id as string))) {
      const named = await t.api.get(`/payment/payment-intent/${id}`);
      assert.equal(named.body.data.payment_intent_id, ok[0]!.body.data.payment_intent_id);
    }
    assert.equal((await processorCharges(t.db, orderId)).length, 1);
  });

  it('a retry that arrives while the first request runs, past the wait, is 409 idempotency_in_progress', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = await startTestApp({
      env: { IDEMPOTENCY_WAIT_MS: '100' },
      faults: { before: (operation) => (operation === 'payment_intents.create' ? gate : undefined) },
    });
    try {
      const { customerId, card } = await customerWithCard(slow.api);
      const headers = { 'idempotency-key': key() };
      const body = { amount: 2500, customerId, paymentMethodId: card };
      const first = slow.api.post('/payment/payment-intent', body, headers);
      // The first request holds the key once its row exists (it then waits at the processor, gated).
      for (let i = 0; i < 200; i++) {
        if ((await slow.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [headers['idempotency-key']])).rowCount === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const retry = await slow.api.post('/payment/payment-intent', body, headers);
      assert.equal(retry.status, 409);
      assert.equal(retry.body.code, 'idempotency_in_progress');
      release();
      assert.equal((await first).status, 200);
      const later = await slow.api.post('/payment/payment-intent', body, headers);
      assert.equal(later.status, 200);
      assert.equal(later.headers['idempotent-replayed'], 'true');
    } finally {
      release();
      await slow.close();
    }
  });

  it('stores and replays a 5xx answer too, without charging', async () => {
    const down = await startTestApp({
      faults: { before: (operation) => { if (operation === 'payment_intents.create') throw outage(operation); } },
    });
    try {
      const { customerId, card } = await customerWithCard(down.api);
      const headers = { 'idempotency-key': key() };
      const body = { amount: 2500, customerId, paymentMethodId: card };
      const first = await down.api.post('/payment/payment-intent', body, headers);
      assert.equal(first.status, 503);
      assert.equal(first.body.code, 'processor_unavailable');
      const replay = await down.api.post('/payment/payment-intent', body, headers);
      assert.equal(replay.status, 503);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      assert.deepEqual(replay.body, first.body);
      const { rows } = await down.db.query<{ status: string }>('SELECT status FROM payments WHERE id = $1', [first.body.payment_intent_id]);
      assert.deepEqual(rows, [{ status: 'unknown' }]);
    } finally {
      await down.close();
    }
  });

  it('replays refunds and card deletions instead of repeating them', async () => {
    const { customerId, card } = await customerWithCard();
    const paid = await pay(t.api, customerId, card, { amount: 5000 });
    const paymentIntentId = paid.body.data.payment_intent_id;
    const headers = { 'idempotency-key': key() };
    const refunds = await Promise.all(
      Array.from({ length: 5 }, () => t.api.post('/payment/refund', { paymentIntentId, amount: 1000 }, headers)),
    );
    assert.equal(new Set(refunds.map((r) => r.body.data.refund_id)).size, 1);
    const listed = await t.api.get(`/payment/refunds?paymentIntentId=${paymentIntentId}`);
    assert.equal(listed.body.data.length, 1);

    const deleteHeaders = { 'idempotency-key': key() };
    const first = await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: card }, deleteHeaders);
    const again = await t.api.delete('/payment/payment-method', { customerId, paymentMethodId: card }, deleteHeaders);
    assert.equal(first.status, 200);
    assert.equal(again.status, 200);
    assert.equal(again.headers['idempotent-replayed'], 'true');
  });

  it('scopes keys to the caller: two callers with one key never see each other\'s answer', async () => {
    const shared = { 'idempotency-key': key() };
    const adminA = t.anonymous.withToken(await signHs256({ sub: 'admin-a', role: 'admin' }));
    const adminB = t.anonymous.withToken(await signHs256({ sub: 'admin-b', role: 'admin' }));
    const emailA = `scope-a-${randomUUID()}@example.com`;
    const emailB = `scope-b-${randomUUID()}@example.com`;
    const a = await adminA.post('/payment/customer', { email: emailA }, shared);
    const b = await adminB.post('/payment/customer', { email: emailB }, shared);
    assert.equal(a.status, 201);
    assert.equal(b.status, 201, 'not an idempotency_error: the key is B\'s own');
    assert.notEqual(b.body.data.customerId, a.body.data.customerId);
    // The same body under the same key from another caller is run anew, not replayed.
    const customer = t.anonymous.withToken(await platformUserToken(emailA));
    const replayedForA = await adminA.post('/payment/customer', { email: emailA }, shared);
    const fromCustomer = await customer.post('/payment/customer', { email: emailA }, shared);
    assert.equal(replayedForA.headers['idempotent-replayed'], 'true');
    assert.equal(fromCustomer.headers['idempotent-replayed'], undefined);
    assert.equal(fromCustomer.status, 200);
  });

  it('does not store a request refused by authentication or access rules under its key', async () => {
    const headers = { 'idempotency-key': key() };
    const email = `refused-${randomUUID()}@example.com`;
    const stranger = t.anonymous.withToken(await platformUserToken(`stranger-${randomUUID()}@example.com`));
    assert.equal((await t.anonymous.post('/payment/customer', { email }, headers)).status, 401);
    assert.equal((await stranger.post('/payment/customer', { email }, headers)).status, 403);
    const { rowCount } = await t.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [headers['idempotency-key']]);
    assert.equal(rowCount, 0);
  });

  it('a key used again after it was forgotten is a new request: new rows, never the old answer', async () => {
    const { customerId, card } = await customerWithCard();
    const headers = { 'idempotency-key': key() };
    const first = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId: `order_${randomUUID()}` }, headers);
    const refundHeaders = { 'idempotency-key': key() };
    const firstRefund = await t.api.post('/payment/refund', { paymentIntentId: first.body.data.payment_intent_id, amount: 1000 }, refundHeaders);
    await t.db.query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = ANY($1)", [
      [headers['idempotency-key'], refundHeaders['idempotency-key']],
    ]);
    await t.app.services.reconciler.runOnce();

    const orderB = `order_${randomUUID()}`;
    const second = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card, orderId: orderB }, headers);
    assert.equal(second.status, 200);
    assert.notEqual(second.body.data.payment_intent_id, first.body.data.payment_intent_id);
    assert.equal((await processorCharges(t.db, orderB)).length, 1, 'order B is really charged');
    const secondRefund = await t.api.post('/payment/refund', { paymentIntentId: second.body.data.payment_intent_id, amount: 700 }, refundHeaders);
    assert.equal(secondRefund.status, 200);
    assert.notEqual(secondRefund.body.data.refund_id, firstRefund.body.data.refund_id);
    assert.deepEqual([secondRefund.body.data.amount, secondRefund.body.data.payment_intent], [700, second.body.data.payment_intent_id]);
  });

  it('a retry that resumes a refused creation answers the refusal again, never success', async () => {
    const { customerId } = await customerWithCard();
    const headers = { 'idempotency-key': key() };
    const body = { amount: 2500, customerId, paymentMethodId: 'pm_card_doesNotExist', orderId: `order_${randomUUID()}` };
    const first = await t.api.post('/payment/payment-intent', body, headers);
    assert.equal(first.status, 404);
    // As if the process had died after recording the refusal, before storing the answer.
    await t.db.query(
      "UPDATE idempotency_keys SET state = 'in_progress', locked_until = now() - interval '1 second' WHERE key = $1",
      [headers['idempotency-key']],
    );
    const resumed = await t.api.post('/payment/payment-intent', body, headers);
    assert.equal(resumed.status, 404);
    assert.equal(resumed.body.success, false);
    assert.equal(resumed.body.code, 'payment_method_not_found');
  });

  it('the late finish of a request whose key was taken over does not overwrite the answer', async () => {
    const headers = { 'idempotency-key': key() };
    const email = `late-${randomUUID()}@example.com`;
    const first = await t.api.post('/payment/customer', { email }, headers);
    const keys = t.app.services.idempotencyKeys;
    const scope = 'user:admin-1';
    await t.db.query("UPDATE idempotency_keys SET state = 'in_progress', locked_until = now() - interval '1 second' WHERE key = $1", [headers['idempotency-key']]);
    const { rows } = await t.db.query<{ fingerprint: string; owner: string }>('SELECT fingerprint, owner FROM idempotency_keys WHERE key = $1', [headers['idempotency-key']]);
    const takeover = await keys.claim(scope, headers['idempotency-key'], rows[0]!.fingerprint, 60_000);
    assert.equal(takeover.kind, 'owner');
    await keys.complete(scope, headers['idempotency-key'], rows[0]!.owner, 500, '{"late":true}');
    assert.equal((await keys.look(scope, headers['idempotency-key'], rows[0]!.fingerprint))?.kind, 'in_progress');
    if (takeover.kind === 'owner') await keys.complete(scope, headers['idempotency-key'], takeover.owner, 200, JSON.stringify(first.body));
    assert.deepEqual(await keys.look(scope, headers['idempotency-key'], rows[0]!.fingerprint), { kind: 'completed', status: 200, body: JSON.stringify(first.body) });
  });

  it('a payment without orderId needs an Idempotency-Key: a retry must be recognisable', async () => {
    const { customerId, card } = await customerWithCard();
    const bare = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card });
    assert.equal(bare.status, 400);
    assert.equal(bare.body.code, 'validation_failed');
    assert.match(bare.body.message, /Send orderId or an Idempotency-Key header/);
    const keyed = await t.api.post('/payment/payment-intent', { amount: 2500, customerId, paymentMethodId: card }, { 'idempotency-key': key() });
    assert.equal(keyed.status, 200);
  });

  it('scopes a user\'s keys to the user, not to the app it signed in through (azp)', async () => {
    const shared = { 'idempotency-key': key() };
    const alice = t.anonymous.withToken(await signHs256({ sub: `alice-${randomUUID()}`, azp: 'web-app', role: 'admin' }));
    const bob = t.anonymous.withToken(await signHs256({ sub: `bob-${randomUUID()}`, azp: 'web-app', role: 'admin' }));
    const a = await alice.post('/payment/customer', { email: `alice-${randomUUID()}@example.com` }, shared);
    const b = await bob.post('/payment/customer', { email: `bob-${randomUUID()}@example.com` }, shared);
    assert.deepEqual([a.status, b.status], [201, 201]);
  });

  it('refuses an Idempotency-Key from a token that names no caller', async () => {
    const nameless = t.anonymous.withToken(await signHs256({ role: 'admin' }));
    const response = await nameless.post('/payment/customer', { email: `nameless-${randomUUID()}@example.com` }, { 'idempotency-key': key() });
    assert.equal(response.status, 400);
    assert.match(response.body.message, /Idempotency-Key needs a token that names its caller/);
  });

  it('forgets keys after their time to live', async () => {
    const headers = { 'idempotency-key': key() };
    await t.api.post('/payment/customer', { email: `ttl-${randomUUID()}@example.com` }, headers);
    await t.db.query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1", [headers['idempotency-key']]);
    const report = await t.app.services.reconciler.runOnce();
    assert.ok(report.expiredKeys >= 1);
    const { rowCount } = await t.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [headers['idempotency-key']]);
    assert.equal(rowCount, 0);
  });
});
