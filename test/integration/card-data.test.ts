import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { loggerOptions } from '../../src/app.js';
import { createCustomer, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { tableDigest } from '../helpers/table-digest.js';

const PAN = '4242424242424242';

describe('card data never enters', () => {
  let t: TestApp;
  let customerId: string;
  let cardId: string;
  const logLines: string[] = [];

  before(async () => {
    t = await startTestApp({ logger: { ...(loggerOptions({ logLevel: 'trace' }) as object), stream: { write: (line: string) => void logLines.push(line) } } });
    customerId = await createCustomer(t.api);
    cardId = await saveCard(t.api, customerId);
  });
  after(() => t.close());

  const key = () => `key-${randomBytes(6).toString('hex')}`;
  const payment = (extra: Record<string, unknown> = {}) => ({
    amount: 2500, currency: 'usd', customerId, paymentMethodId: cardId, orderId: `order_${randomBytes(5).toString('hex')}`, ...extra,
  });

  /** Sends the request, expects the refusal naming `param`, and checks that no table changed. */
  async function refused(method: string, url: string, body: unknown, param: string, headers: Record<string, string> = {}) {
    const before = await tableDigest(t.db);
    const response = await t.api.request(method, url, body, { 'idempotency-key': key(), ...headers });
    assert.equal(response.status, 400, JSON.stringify(response.body));
    assert.equal(response.body.success, false);
    assert.equal(response.body.code, 'card_data_not_allowed');
    assert.equal(response.body.param, param);
    assert.match(response.body.message, /Stripe\.js/);
    assert.ok(!JSON.stringify(response.body).includes('4242 4242') && !JSON.stringify(response.body).includes(PAN), 'the answer repeats no card number');
    assert.deepEqual(await tableDigest(t.db), before, 'a refused request changed a table');
  }

  it('refuses a field named like a card number or security code, at any depth and whatever its value', async () => {
    const details = { customerId, paymentMethodId: 'pm_card_visa', cardholderName: 'John Doe' };
    await refused('POST', '/payment/payment-method-details', { ...details, cardNumber: PAN }, 'cardNumber');
    await refused('POST', '/payment/payment-method-details', { ...details, card_number: '****' }, 'card_number');
    await refused('POST', '/payment/payment-method-details', { ...details, CVC: '123' }, 'CVC');
    await refused('POST', '/payment/payment-method', { customerId, paymentMethodId: cardId, card: { number: '4242', cvv2: 123 } }, 'card.number');
    await refused('POST', '/payment/payment-intent', payment({ automatic_payment_methods: { enabled: true, extra: [{ pan: null }] } }), 'automatic_payment_methods.extra.0.pan');
  });

  it('refuses a card number in any field, with spaces or dashes, inside text, or as a number', async () => {
    await refused('POST', '/payment/payment-intent', payment({ description: 'card 4242 4242 4242 4242 exp 12/34' }), 'description');
    await refused('POST', '/payment/payment-intent', payment({ orderId: '5555-5555-5555-4444' }), 'orderId');
    await refused('POST', '/payment/payment-intent', payment({ amount: Number(PAN) }), 'amount');
    await refused('POST', '/payment/customer', { email: 'someone@example.com', name: '3782 822463 10005' }, 'name');
    await refused('PUT', '/payment/payment-method', { customerId, paymentMethodId: cardId, isDefault: true, notes: { [PAN]: true } }, 'notes.[card number]');
  });

  it('refuses a card number in the path, the query and the Idempotency-Key, storing nothing', async () => {
    await refused('GET', `/payment/payment-intent/${PAN}`, undefined, 'id');
    await refused('GET', `/payment/payments?orderId=4242%204242%204242%204242`, undefined, 'orderId');
    await refused('GET', `/payment/payments?customerId=${customerId}&cvc=123`, undefined, 'cvc');
    await refused('GET', `/payment/customer/${PAN}%40example.com`, undefined, 'email');
    await refused('POST', '/payment/payment-intent', payment(), 'Idempotency-Key', { 'idempotency-key': '4242-4242-4242-4242' });
    await refused('POST', '/payment/refund', { paymentIntentId: 'pi_x' }, 'Idempotency-Key', { 'idempotency-key': 'refund 4000 0566 5566 5556' });
  });

  it('lets numbers that are not card numbers through: a 16-digit order id failing Luhn, zero-padded ids, digits inside identifiers', async () => {
    const insideIdentifiers = [`order_${PAN}`, '123e4567-e89b-12d3-a456-424242424242', `65a${PAN}bc1d2`, `order_0.${PAN}`];
    for (const orderId of ['4242424242424241', '0000000000000000', '1795877986601', '79927398713', ...insideIdentifiers]) {
      const response = await t.api.post('/payment/payment-intent', payment({ orderId }));
      assert.equal(response.status, 200, `${orderId}: ${JSON.stringify(response.body)}`);
    }
  });

  it('refuses a Luhn-valid 16-digit order id, which cannot be told from a card number', async () => {
    await refused('POST', '/payment/payment-intent', payment({ orderId: '4111111111111111' }), 'orderId');
  });

  it('replaces a request id that holds a card number', async () => {
    const response = await t.api.get('/health', { 'x-request-id': PAN });
    assert.notEqual(response.headers['x-request-id'], PAN);
    assert.match(String(response.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });

  it('never writes a card number or security code to the log, even from an invalid body, a URL or an unknown route', async () => {
    await t.api.post('/payment/customer', `{"email":"a@example.com","name":"x","number":"${PAN}"`);
    await t.api.post('/payment/customer', `{"cvc":"987", "x": 4242 4242 4242 4242}`);
    await t.api.get(`/payment/no-such-route/${PAN}?cvv=987`);
    await t.api.get(`/payment/payments?orderId=${PAN}&cardNumber=1111&cvc=987`);
    await t.api.request('GET', `/payment/payment-intent/%E0${PAN}`);
    const text = logLines.join('\n');
    assert.ok(text.includes('incoming request'), 'the requests were logged');
    assert.ok(text.includes('[card number removed]'), 'URLs are logged masked');
    for (const secret of [PAN, '4242 4242', '4242-4242', '=987', '"987"', ':987']) {
      assert.ok(!text.includes(secret), `${secret} reached the log`);
    }
  });
});
