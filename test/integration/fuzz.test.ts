/**
 * Property-based fuzzing of every operation the served OpenAPI document lists (a route added later
 * is fuzzed without a change here): random and hostile paths, queries, headers and bodies, sent as
 * the fixtures' administrator, its customer, nobody or a forger. Every answer must be the envelope
 * with a documented status, never a 5xx; every 2xx must match its documented schema; a refused
 * request must write no row to any table (counted by a trigger on each). FUZZ_RUNS (cases per database, default 2500: 5,000 per CI run) and FUZZ_SEED replay a run.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createCustomer, pay, saveCard, startTestApp, uniqueEmail, type TestApp } from '../helpers/app.js';
import { operationsOf, type Operation } from '../helpers/fuzz/operations.js';
import { describeCase, fuzzCase, type Caller, type FuzzCase, type Known } from '../helpers/fuzz/requests.js';
import { watchTableWrites } from '../helpers/table-digest.js';
import { adminToken, platformUserToken } from '../helpers/tokens.js';

// What the processor refused was carried out there: a declined card, an invalid request, a card it
// has detached (a fuzzed DELETE may have detached it) are recorded, as Stripe records them.
const PROCESSOR_REFUSALS = new Set(['card_declined', 'processor_invalid_request', 'payment_method_unusable']);
const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);
const SEED = process.env.FUZZ_SEED === undefined ? Date.now() ^ (Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED);

describe(`fuzzing every documented operation (${RUNS} cases, seed ${SEED})`, () => {
  let t: TestApp;
  let operations: Operation[];
  let known: Known;
  const tokens = new Map<Caller, string>();
  let writesSoFar: () => Promise<Record<string, number>>;
  let writes: Record<string, number>;
  let sent = 0;

  before(async () => {
    t = await startTestApp();
    const email = uniqueEmail('fuzz');
    const customerId = await createCustomer(t.api, email);
    const card = await saveCard(t.api, customerId);
    const secondCard = await saveCard(t.api, customerId);
    const paid = await pay(t.api, customerId, card);
    const authorized = await pay(t.api, customerId, card, { captureMethod: 'manual' });
    const challenged = await pay(t.api, customerId, await saveCard(t.api, customerId, 'pm_card_authenticationRequired'));
    const pis = [paid, authorized, challenged].map((r) => r.body.data.payment_intent_id as string);
    const orderIds = (await t.db.query<{ order_id: string }>('SELECT order_id FROM payments')).rows.map((r) => r.order_id);
    known = {
      email: [email, uniqueEmail('nobody')],
      customerId: [customerId, 'cus_unknown0'],
      paymentMethodId: [card, secondCard, 'pm_card_visa', 'pm_card_chargeDeclined', `pm_fuzz${randomBytes(4).toString('hex')}`],
      id: [...pis, 'pi_unknown0'],
      paymentIntentId: [...pis, 'pi_unknown0'],
      orderId: [...orderIds, `order_${randomBytes(4).toString('hex')}`],
      currency: ['usd', 'jpy', 'eur', 'USD'],
    };
    tokens.set('admin', await adminToken({ expiresIn: 3600 }));
    tokens.set('customer', await platformUserToken(email, { expiresIn: 3600 }));
    tokens.set('forged', await platformUserToken(email, { secret: 'not-the-secret-of-this-service' }));
    operations = operationsOf((await t.api.get('/payment/api-docs.json')).body);
    assert.ok(operations.length >= 14, 'the document lists the routes');
    writesSoFar = await watchTableWrites(t.db);
    writes = await writesSoFar();
  });

  after(async () => {
    await t.close();
    assert.ok(sent >= RUNS, `only ${sent} of ${RUNS} cases were sent`);
  });

  /** Sends one case and checks every promise of the perimeter on its answer and on the database. */
  async function check(c: FuzzCase): Promise<void> {
    sent++;
    const token = tokens.get(c.caller);
    const response = await t.app.inject({
      method: c.method as 'GET',
      url: c.url,
      headers: { ...c.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(c.body !== undefined ? { payload: c.body } : {}),
    });
    const status = response.statusCode;
    assert.ok(status < 500, `answered ${status}: ${response.body.slice(0, 500)}`);
    assert.ok(c.operation.statuses.has(status), `answered ${status}, which ${c.operation} does not document: ${response.body.slice(0, 300)}`);
    let body: any;
    assert.doesNotThrow(() => (body = JSON.parse(response.body)), `the answer is not JSON: ${response.body.slice(0, 200)}`);
    assert.ok(response.headers['x-request-id'], 'the answer carries a request id');
    if (status >= 400) {
      assert.equal(body.success, false, 'an error is the envelope');
      assert.ok(typeof body.code === 'string' && body.code.length > 0, 'with a code');
      assert.ok(typeof body.message === 'string' && body.message.length > 0, 'and a message');
    } else {
      const validate = c.operation.success.get(status)!;
      assert.ok(validate(body), `the ${status} answer does not match its schema: ${JSON.stringify(validate.errors)} ${response.body.slice(0, 300)}`);
    }

    const now = await writesSoFar();
    // What the processor refused (a decline, an invalid request) was carried out and is recorded, as
    // Stripe records it; an Idempotency-Key stores the answer of a request whose handler ran.
    if (status >= 400 && !PROCESSOR_REFUSALS.has(body.code)) {
      const changed = Object.keys(now).filter((table) => now[table] !== writes[table] && (table !== 'idempotency_keys' || !('idempotency-key' in c.headers)));
      assert.deepEqual(changed, [], `a refused request (${status} ${body.code}) changed ${changed.join(', ')}`);
    }
    writes = now;
  }

  it('answers every case in the envelope, with a documented status, changing nothing when it refuses', async () => {
    const perOperation = Math.ceil(RUNS / operations.length);
    for (const [index, operation] of operations.entries()) {
      const details = await fc.check(fc.asyncProperty(fuzzCase(operation, known), check), { numRuns: perOperation, seed: SEED + index, endOnFailure: true });
      if (details.failed) {
        const example = details.counterexample?.[0];
        const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
        assert.fail(`${operation}: ${error}\n  case: ${example ? describeCase(example) : 'none'}\n  replay: FUZZ_SEED=${SEED}`);
      }
    }
  });
});
