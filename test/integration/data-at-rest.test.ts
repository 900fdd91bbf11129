/**
 * Personal data at rest: customer names and emails and cardholder names are stored sealed
 * (`enc:v1:<key id>:...`) and answered clear; the forwarded bearer tokens too; a rotation moves
 * every value to the new key in resumable batches while the old key still opens what is left; a
 * wrong key fails clearly, never answering garbage; and no table holds a name, email or token of
 * this file in the clear.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isEncrypted } from '../../src/crypto/data-cipher.js';
import { parseDataKeys } from '../../src/crypto/data-cipher.js';
import { rotateSealedValues, sealedValueCensus } from '../../src/store/sealed-columns.js';
import { newCardToken, startTestApp, TEST_DATA_KEY, uniqueEmail, type Api, type TestApp } from '../helpers/app.js';
import { findStoredText, PROCESSOR_STAND_IN_TABLES, storedCustomers } from '../helpers/stored-text.js';
import { platformUserToken } from '../helpers/tokens.js';
import { OrderServiceStub } from '../stubs/order-service.js';

const uniqueName = (first: string) => `${first} Quarrington-${randomBytes(4).toString('hex')}`;
const [OLD_KEY_ID, NEW_KEY, NEW_KEY_ID] = (() => {
  const key = randomBytes(32).toString('base64');
  return [parseDataKeys(TEST_DATA_KEY)[0]!.id, key, parseDataKeys(key)[0]!.id];
})();

describe('personal data at rest', () => {
  let stub: OrderServiceStub;
  let t: TestApp;
  /** Every clear value this file stored through the API: none may be found at rest. */
  const needles: string[] = [];
  const people: Array<{ email: string; name: string; cardholder: string; customerId: string; card: string; user: Api }> = [];

  before(async () => {
    // The Order Service is down: the notifications stay queued, with their sealed tokens.
    stub = await OrderServiceStub.start();
    await stub.down();
    t = await startTestApp({
      // The processor's events arrive at the webhook endpoint and are kept: scanned too.
      deliverEvents: true,
      env: { ORDER_SERVICE_URL: stub.url, ORDER_SERVICE_TIMEOUT_MS: '500', OUTBOX_BACKOFF_MAX_MS: '60000', OUTBOX_MAX_ATTEMPTS: '1000', OUTBOX_SWEEP_INTERVAL_MS: '0' },
    });
  });
  after(async () => {
    await t.close();
    await stub.close();
  });

  const census = async (column: string) => (await sealedValueCensus(t.db))[column]!;

  it('stores names, emails and cardholder names sealed, and the API still answers them', async () => {
    for (const first of ['Zebediah', 'Philippa', 'Octavian']) {
      const email = uniqueEmail(first.toLowerCase());
      const name = uniqueName(first);
      const cardholder = uniqueName(`${first} C.`);
      const token = await platformUserToken(email);
      const user = t.api.withToken(token);
      const created = await user.post('/payment/customer', { email, name });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const customerId = created.body.data.customerId as string;
      const card = newCardToken();
      const saved = await user.post('/payment/payment-method-details', { customerId, paymentMethodId: card, cardholderName: cardholder, last4: '4242', cardType: 'visa', expiryDate: '12/34' });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
      assert.equal(saved.body.data.cardholder_name, cardholder);
      const paid = await user.post(
        '/payment/payment-intent',
        { amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId: `order_${randomBytes(6).toString('hex')}` },
        { 'idempotency-key': randomBytes(8).toString('hex') },
      );
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      people.push({ email, name, cardholder, customerId, card, user });
      needles.push(email, name, cardholder, token, token.split('.')[2]!);
    }
    for (const person of people) {
      // Found by the keyed hash of its email, in any case; the rows hold sealed values only (checked by storedCustomers).
      const found = await person.user.get(`/payment/customer/${encodeURIComponent(person.email.toUpperCase())}`);
      assert.deepEqual(found.body, { success: true, data: { customerId: person.customerId } });
      assert.deepEqual(await storedCustomers(t.db, t.app.services.sealedFields, person.email), [{ email: person.email, name: person.name, processor_customer_id: person.customerId }]);
      const listed = await person.user.get(`/payment/payment-methods/${person.customerId}`);
      assert.deepEqual(listed.body.data.map((c: { cardholder_name: string }) => c.cardholder_name), [person.cardholder]);
      // The processor was told the clear name, read back from the sealed row.
      const { rows } = await t.db.query<{ name: string }>("SELECT data->>'name' AS name FROM simulated_processor_objects WHERE id = $1", [person.customerId]);
      assert.deepEqual(rows, [{ name: person.name }]);
    }
    const { rows: cards } = await t.db.query<{ cardholder_name: string }>('SELECT cardholder_name FROM payment_methods WHERE id = ANY($1)', [people.map((p) => p.card)]);
    assert.equal(cards.length, 3);
    assert.ok(cards.every((c) => c.cardholder_name.startsWith(`enc:v1:${OLD_KEY_ID}:`)), JSON.stringify(cards));
    const { rows: queued } = await t.db.query<{ auth_token: string }>("SELECT auth_token FROM outbox WHERE status = 'pending'");
    assert.equal(queued.length, 3, 'three notifications wait for the Order Service');
    assert.ok(queued.every((row) => row.auth_token.startsWith(`enc:v1:${OLD_KEY_ID}:`)), 'each keeps its token sealed');
    assert.deepEqual(await findStoredText(t.db, needles), [], 'no clear name, email or token in any table');
  });

  it('answers a value the configured key cannot open as a 500 whose log names it, never as data', async () => {
    const lines: string[] = [];
    const wrong = await startTestApp({
      sameDatabaseAs: t,
      env: { DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
      logger: { level: 'error', stream: { write: (line: string) => void lines.push(line) } },
    });
    try {
      const listed = await wrong.api.get(`/payment/payment-methods/${people[0]!.customerId}`);
      assert.equal(listed.status, 500);
      assert.deepEqual(listed.body, { success: false, message: 'Internal server error', code: 'internal_error' });
      const logged = lines.join('\n');
      assert.match(logged, new RegExp(`customers\\.email of row [0-9a-f-]{36} cannot be opened: encrypted with key ${OLD_KEY_ID}, which DATA_ENCRYPTION_KEY no longer holds`));
      for (const needle of needles) assert.ok(!logged.includes(needle), 'the log holds no clear value');
      // The boot asks for the email lookup key first, and so stops with this line.
      await assert.rejects(wrong.app.services.sealedFields.emailLookupKey(), new RegExp(`email lookup key \\(sealed with data key ${OLD_KEY_ID}; DATA_ENCRYPTION_KEY holds [0-9a-f]{12}\\)`));
    } finally {
      await wrong.close();
    }
  });

  it('opens a sealed value only in its own row: one copied to another row is a 500 whose log names that row', async () => {
    const [a, b] = [people[0]!, people[1]!];
    const { rows } = await t.db.query<{ cardholder_name: string }>('SELECT cardholder_name FROM payment_methods WHERE id = $1', [b.card]);
    const own = rows[0]!.cardholder_name;
    await t.db.query('UPDATE payment_methods SET cardholder_name = (SELECT cardholder_name FROM payment_methods WHERE id = $1) WHERE id = $2', [a.card, b.card]);
    const lines: string[] = [];
    const watching = await startTestApp({ sameDatabaseAs: t, logger: { level: 'error', stream: { write: (line: string) => void lines.push(line) } } });
    try {
      const listed = await watching.api.get(`/payment/payment-methods/${b.customerId}`);
      assert.deepEqual([listed.status, listed.body.code], [500, 'internal_error']);
      assert.ok(!JSON.stringify(listed.body).includes(a.cardholder), 'never the other row\'s name');
      assert.match(lines.join('\n'), new RegExp(`payment_methods\\.cardholder_name of row ${b.card} cannot be opened`));
    } finally {
      await watching.close();
      await t.db.query('UPDATE payment_methods SET cardholder_name = $1 WHERE id = $2', [own, b.card]);
    }
    assert.equal((await t.api.get(`/payment/payment-methods/${b.customerId}`)).body.data[0].cardholder_name, b.cardholder);
  });

  it('rotates every value to the new key in resumable batches, the old key opening what is left meanwhile', async () => {
    const both = await startTestApp({ sameDatabaseAs: t, env: { DATA_ENCRYPTION_KEY: `${NEW_KEY},${TEST_DATA_KEY}` } });
    try {
      const before = await sealedValueCensus(t.db);
      assert.deepEqual(before['customers.name'], { [OLD_KEY_ID]: 3 });
      const progress: string[] = [];
      // Cut short after two batches, as a killed run would be.
      const first = await rotateSealedValues(both.db, both.app.services.sealedFields, { batchSize: 2, maxBatches: 2, onBatch: (p) => progress.push(`${p.column} ${p.action} ${p.batch}`) });
      assert.equal(first.complete, false);
      assert.deepEqual(progress, ['customers.email rotated 2', 'customers.email rotated 1']);
      assert.deepEqual(await census('customers.email'), { [NEW_KEY_ID]: 3 });
      assert.deepEqual(await census('customers.name'), { [OLD_KEY_ID]: 3 });
      // Meanwhile, both generations open with both keys: the API answers as before.
      for (const person of people) {
        const listed = await both.api.get(`/payment/payment-methods/${person.customerId}`);
        assert.equal(listed.status, 200, JSON.stringify(listed.body));
        assert.equal(listed.body.data[0].cardholder_name, person.cardholder);
      }
      const second = await rotateSealedValues(both.db, both.app.services.sealedFields, { batchSize: 2 });
      assert.equal(second.complete, true);
      assert.deepEqual(second.counts, { 'customers.name rotated': 3, 'payment_methods.cardholder_name rotated': 3, 'outbox.auth_token rotated': 3, 'sealed_keys.sealed rotated': 1 });
      const after = await sealedValueCensus(t.db);
      for (const [column, byKey] of Object.entries(after)) {
        assert.deepEqual(Object.keys(byKey).filter((key) => key !== NEW_KEY_ID), [], `${column}: every value under the new key`);
      }
      assert.equal((await rotateSealedValues(both.db, both.app.services.sealedFields)).complete, true, 'a run with nothing left to do');
    } finally {
      await both.close();
    }
    // The new key alone now opens everything: lookups by email included (the lookup key was re-sealed, not changed).
    const fresh = await startTestApp({ sameDatabaseAs: t, env: { DATA_ENCRYPTION_KEY: NEW_KEY } });
    try {
      for (const person of people) {
        const found = await fresh.api.get(`/payment/customer/${encodeURIComponent(person.email)}`);
        assert.deepEqual(found.body, { success: true, data: { customerId: person.customerId } });
        const listed = await fresh.api.get(`/payment/payment-methods/${person.customerId}`);
        assert.equal(listed.body.data[0].cardholder_name, person.cardholder);
      }
      const { rows } = await fresh.db.query<{ auth_token: string }>("SELECT auth_token FROM outbox WHERE status = 'pending'");
      assert.ok(rows.every((row) => isEncrypted(row.auth_token) && row.auth_token.startsWith(`enc:v1:${NEW_KEY_ID}:`)));
    } finally {
      await fresh.close();
    }
  });

  it('leaves no name, email or token of this file in the clear in any table', async () => {
    assert.ok(needles.length >= 15);
    assert.deepEqual(await findStoredText(t.db, needles), []);
    // The scan sees what is there: the simulated processor, standing in for Stripe, keeps the customer's name as Stripe does.
    const name = people[0]!.name;
    const seen = await findStoredText(t.db, [name], []);
    assert.ok(seen.some((hit) => hit.table === 'simulated_processor_objects'), JSON.stringify(seen));
    assert.ok(seen.every((hit) => PROCESSOR_STAND_IN_TABLES.includes(hit.table)), JSON.stringify(seen));
    const { rows } = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_events');
    assert.ok(rows[0]!.n > 0, 'the processor\'s events were kept, and scanned');
  });
});
