import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loggerOptions } from '../../src/app.js';
import { childTraceparent, parseTraceparent } from '../../src/observability/trace-context.js';
import { createCustomer, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { OrderServiceStub } from '../stubs/order-service.js';

const traceId = () => randomBytes(16).toString('hex');
const spanId = () => randomBytes(8).toString('hex');

describe('W3C trace context', () => {
  const lines: Array<Record<string, any>> = [];
  let stub: OrderServiceStub;
  let t: TestApp;
  before(async () => {
    stub = await OrderServiceStub.start();
    t = await startTestApp({
      env: { ORDER_SERVICE_URL: stub.url, OUTBOX_SWEEP_INTERVAL_MS: '0', OUTBOX_BACKOFF_MAX_MS: '150' },
      logger: { ...(loggerOptions({ logLevel: 'info' }) as object), stream: { write: (line: string) => void lines.push(JSON.parse(line)) } },
    });
  });
  after(async () => {
    await t.close();
    await stub.close();
  });

  it('reads a valid traceparent and ignores a malformed one', () => {
    const id = traceId();
    const parent = spanId();
    assert.deepEqual(parseTraceparent(`00-${id}-${parent}-01`), { traceparent: `00-${id}-${parent}-01`, traceId: id, parentId: parent });
    assert.equal(parseTraceparent(` 00-${id.toUpperCase()}-${parent}-01 `)?.traceId, id);
    // A later version may carry more fields; version 00 may not; ff is forbidden; all-zero ids are invalid.
    assert.equal(parseTraceparent(`01-${id}-${parent}-01-more`)?.traceparent, `01-${id}-${parent}-01`);
    for (const bad of [`00-${id}-${parent}-01-more`, `ff-${id}-${parent}-01`, `00-${'0'.repeat(32)}-${parent}-01`, `00-${id}-${'0'.repeat(16)}-01`, `00-${id}-${parent}`, 'junk', undefined]) {
      assert.equal(parseTraceparent(bad), null, String(bad));
    }
    const child = childTraceparent(`00-${id}-${parent}-01`, 'a'.repeat(16));
    assert.equal(child, `00-${id}-${'a'.repeat(16)}-01`);
  });

  it('logs the trace beside the request id on every line of the request', async () => {
    const id = traceId();
    const response = await t.api.get('/payment/customer/nobody%40example.com', { traceparent: `00-${id}-${spanId()}-01` });
    assert.equal(response.status, 404);
    const reqId = String(response.headers['x-request-id']);
    const mine = lines.filter((line) => line.reqId === reqId);
    assert.ok(mine.length >= 2, JSON.stringify(mine));
    for (const line of mine) assert.equal(line.traceId, id, JSON.stringify(line));
    // No trace for a request without one, or with a malformed one.
    const plain = await t.api.get('/payment/customer/nobody%40example.com', { traceparent: 'not-a-trace' });
    const plainLines = lines.filter((line) => line.reqId === String(plain.headers['x-request-id']));
    assert.ok(plainLines.length > 0 && plainLines.every((line) => line.traceId === undefined));
  });

  it('passes it on to the Order Service with the payment\'s notification, as a child of the paying request', async () => {
    const id = traceId();
    const parent = spanId();
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const orderId = `order_${randomBytes(6).toString('hex')}`;
    const paid = await t.api.post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId }, { traceparent: `00-${id}-${parent}-01` });
    assert.equal(paid.status, 200);
    const { rows } = await t.db.query<{ traceparent: string | null }>('SELECT traceparent FROM outbox WHERE order_id = $1', [orderId]);
    assert.deepEqual(rows, [{ traceparent: `00-${id}-${parent}-01` }]);
    for (let i = 0; i < 200 && !stub.calls.some((call) => call.orderId === orderId); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    const call = stub.calls.find((c) => c.orderId === orderId);
    assert.ok(call, 'the Order Service was called');
    const sent = parseTraceparent(call.traceparent);
    assert.ok(sent, `a valid traceparent was sent (${call.traceparent})`);
    assert.equal(sent.traceId, id);
    assert.notEqual(sent.parentId, parent, 'our call is a span of its own');

    // Without a trace, none is invented for the Order Service.
    const other = `order_${randomBytes(6).toString('hex')}`;
    assert.equal((await t.api.post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId: other })).status, 200);
    for (let i = 0; i < 200 && !stub.calls.some((c) => c.orderId === other); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(stub.calls.find((c) => c.orderId === other)?.traceparent, undefined);
  });
});
