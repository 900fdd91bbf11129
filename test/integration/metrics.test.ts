import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, outage, pay, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { TEST_DB } from '../helpers/database.js';

const METRICS_TOKEN = 'metrics-token-for-the-tests';

/** One sample of the exposition text: its name, labels and value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample named so whose labels include `labels`; undefined when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

describe('GET /metrics', () => {
  let t: TestApp;
  let failCreate = false;
  let release: (() => void) | null = null;
  before(async () => {
    t = await startTestApp({
      env: {
        METRICS_TOKEN,
        IDEMPOTENCY_WAIT_MS: '0',
        RECONCILE_GRACE_MS: '0',
        // Notifications to a port nobody listens on: the outbox keeps them pending.
        ORDER_SERVICE_URL: 'http://127.0.0.1:1/order',
        OUTBOX_SWEEP_INTERVAL_MS: '0',
        OUTBOX_BACKOFF_MAX_MS: '600000',
      },
      faults: {
        before: async (operation) => {
          if (operation !== 'payment_intents.create') return;
          if (failCreate) throw outage(operation);
          if (release === null) return;
          await new Promise<void>((resolve) => (release = resolve));
        },
      },
    });
  });
  after(() => t?.close());

  const scrape = async () => {
    const response = await t.anonymous.get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return parseExposition(response.body as unknown as string);
  };

  it('refuses a scrape without the token, or with another one, and is open to none else', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-of-some-length', `Bearer ${METRICS_TOKEN}x`, METRICS_TOKEN]) {
      const response = await t.anonymous.get('/metrics', authorization ? { authorization } : {});
      assert.equal(response.status, 401, String(authorization));
      assert.equal(response.body.code, 'unauthorized');
      assert.match(String(response.headers['www-authenticate']), /^Bearer/);
    }
    // An administrator's API token is not the metrics token either.
    assert.equal((await t.api.get('/metrics')).status, 401);
  });

  it('counts requests, payments, refunds, the processor, idempotency, the reconciler, the outbox and the pool', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const paid = await pay(t.api, customerId, card);
    assert.equal(paid.status, 200);
    // The simulated processor declines this card when it is attached.
    const declined = await t.api.post('/payment/payment-method', { customerId, paymentMethodId: 'pm_card_chargeDeclined' });
    assert.equal(declined.status, 402);
    assert.equal((await t.api.post('/payment/refund', { paymentIntentId: paid.body.data.payment_intent_id, amount: 500 })).status, 200);

    // A replay, then a conflict: the second request with a key whose first is held at the processor.
    const replayKey = { 'idempotency-key': randomUUID() };
    const body = { amount: 1200, currency: 'usd', customerId, paymentMethodId: card, orderId: `order_${randomUUID()}` };
    assert.equal((await t.api.post('/payment/payment-intent', body, replayKey)).status, 200);
    assert.equal((await t.api.post('/payment/payment-intent', body, replayKey)).headers['idempotent-replayed'], 'true');
    release = () => {};
    const heldKey = { 'idempotency-key': randomUUID() };
    const heldBody = { ...body, orderId: `order_${randomUUID()}` };
    const held = t.api.post('/payment/payment-intent', heldBody, heldKey);
    for (let i = 0; i < 200 && (await t.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [heldKey['idempotency-key']])).rowCount === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const conflict = await t.api.post('/payment/payment-intent', heldBody, heldKey);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.code, 'idempotency_in_progress');
    const open = release as () => void;
    release = null;
    open();
    assert.equal((await held).status, 200);

    // An outage leaves a payment unknown; the reconciler settles it once the processor is back.
    failCreate = true;
    const lost = await pay(t.api, customerId, card);
    assert.equal(lost.status, 503);
    failCreate = false;
    const report = await t.app.services.reconciler.runOnce();
    assert.ok(report.payments >= 1);

    const samples = await scrape();
    // Requests: by route pattern and status, the scrape itself not among them.
    assert.ok((valueOf(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/payment/payment-intent', status_code: '200' }) ?? 0) >= 2);
    assert.equal(valueOf(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/payment/payment-method', status_code: '402' }), 1);
    assert.equal(valueOf(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/payment/payment-intent', status_code: '503' }), 1);
    assert.equal(valueOf(samples, 'http_request_duration_seconds_count', { method: 'POST', route: '/payment/refund', status_code: '200' }), 1);
    assert.equal(valueOf(samples, 'http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status_code: '401' }), undefined);
    assert.ok(!samples.some((s) => s.labels.route === '/metrics'));

    // Stored state, as the database has it.
    const payments = await t.db.query<{ status: string; count: number }>('SELECT status, count(*)::int AS count FROM payments GROUP BY status');
    assert.ok(payments.rows.some((row) => row.status === 'succeeded' && row.count >= 4), JSON.stringify(payments.rows));
    for (const row of payments.rows) assert.equal(valueOf(samples, 'payment_payments', { status: row.status, processor: 'simulated' }), row.count, row.status);
    assert.equal(valueOf(samples, 'payment_refunds', { status: 'succeeded', processor: 'simulated' }), 1);

    // The processor: every call timed, the outage counted as an error of its operation.
    assert.ok((valueOf(samples, 'payment_processor_call_duration_seconds_count', { processor: 'simulated', operation: 'createPaymentIntent', outcome: 'ok' }) ?? 0) >= 3);
    assert.equal(valueOf(samples, 'payment_processor_errors_total', { processor: 'simulated', operation: 'createPaymentIntent', kind: 'unavailable' }), 1);
    assert.equal(valueOf(samples, 'payment_processor_call_duration_seconds_count', { processor: 'simulated', operation: 'createRefund', outcome: 'ok' }), 1);
    assert.equal(valueOf(samples, 'payment_processor_errors_total', { processor: 'simulated', operation: 'attachPaymentMethod', kind: 'card_declined' }), 1);

    assert.equal(valueOf(samples, 'payment_idempotency_replays_total'), 1);
    assert.equal(valueOf(samples, 'payment_idempotency_in_progress_total'), 1);

    assert.ok((valueOf(samples, 'payment_reconciler_passes_total', { outcome: 'completed' }) ?? 0) >= 1);
    assert.ok((valueOf(samples, 'payment_reconciler_rows_resolved_total', { kind: 'payment' }) ?? 0) >= 1);
    assert.equal(valueOf(samples, 'payment_reconciler_rows_left'), 0);

    const outbox = await t.app.services.outbox.summary();
    assert.ok(outbox.pending >= 1, 'the payments queued notifications');
    assert.equal(valueOf(samples, 'payment_outbox_pending'), outbox.pending);
    assert.equal(valueOf(samples, 'payment_outbox_dead'), outbox.dead);
    const age = valueOf(samples, 'payment_outbox_oldest_pending_age_seconds')!;
    assert.ok(age > 0 && age < 600, String(age));

    const inUse = valueOf(samples, 'payment_db_pool_connections', { state: 'in_use' })!;
    const idle = valueOf(samples, 'payment_db_pool_connections', { state: 'idle' })!;
    assert.ok(inUse >= 0 && idle >= (TEST_DB === 'pglite' ? 1 : 0) && inUse + idle >= 1);
    assert.ok((valueOf(samples, 'payment_db_pool_waiting') ?? -1) >= 0);

    // Node's own.
    assert.ok((valueOf(samples, 'process_resident_memory_bytes') ?? 0) > 0);
    assert.ok(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds'));
  });
});
