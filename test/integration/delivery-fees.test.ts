import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createCustomer, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { platformUserToken, serviceToken } from '../helpers/tokens.js';
import { AuthTokenEndpoint } from '../stubs/auth-token-endpoint.js';
import { LocationServiceStub } from '../stubs/location-service.js';

const orderId = () => `order_${randomBytes(6).toString('hex')}`;
const JPY_TABLE = JSON.stringify({
  taxRate: 0.15,
  currencies: {
    usd: { vehicles: { BIKE: { ratePerKm: 800, riderCommissionPerKm: 200 }, CAR: { ratePerKm: 1400, riderCommissionPerKm: 500 }, TRUCK: { ratePerKm: 2000, riderCommissionPerKm: 1000 } } },
    jpy: { vehicles: { BIKE: { ratePerKm: 120, riderCommissionPerKm: 30 } } },
  },
});

describe('delivery fee quotes over the Location Service', () => {
  let t: TestApp;
  let location: LocationServiceStub;
  let clock = Date.now();

  before(async () => {
    location = await LocationServiceStub.start();
    t = await startTestApp({
      env: { LOCATION_SERVICE_URL: location.url, LOCATION_SERVICE_TIMEOUT_MS: '300', FARE_TABLE: JPY_TABLE, DISTANCE_CACHE_SECONDS: '60' },
      now: () => new Date(clock),
    });
  });
  after(async () => {
    await t.close();
    await location.close();
  });

  it('quotes each vehicle from the distance the Location Service measures, and keeps the quote', async () => {
    const expected = { BIKE: [2560, 384, 2944, 640], CAR: [4480, 672, 5152, 1600], TRUCK: [6400, 960, 7360, 3200] } as const;
    const from = `1 Main St ${randomBytes(3).toString('hex')}`;
    location.route(from, '9 Elm St', 3.2, '14');
    for (const [vehicleType, [cost, tax, total, riderCommission]] of Object.entries(expected)) {
      const response = await t.api.post('/payment/delivery-fee', { fromAddress: from, toAddress: '9 Elm St', vehicleType });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const quote = response.body.data;
      assert.deepEqual(quote.breakdown, { cost, tax, total, riderCommission });
      assert.equal(quote.distanceKm, 3.2);
      assert.equal(quote.durationMinutes, 14);
      assert.equal(quote.currency, 'usd');
      assert.equal(new Date(quote.expiresAt).getTime(), clock + 900_000);
      const stored = await t.db.query<{ total: string; distance_km: string; from_address: string }>('SELECT total::text AS total, distance_km, from_address FROM delivery_quotes WHERE id = $1', [quote.quoteId]);
      assert.deepEqual(stored.rows[0], { total: String(total), distance_km: '3.2', from_address: from });
      const read = await t.api.get(`/payment/delivery-fee/${quote.quoteId}`);
      assert.deepEqual(read.body.data, quote);
    }
    // The three quotes asked once: the address pair is answered from the cache after the first.
    const asked = () => location.calls.filter((c) => (c.body as { fromAddress: string }).fromAddress === from).length;
    assert.equal(asked(), 1);
    // Past DISTANCE_CACHE_SECONDS (60 here) the pair is asked again.
    clock += 61_000;
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    try {
      assert.equal((await t.api.post('/payment/delivery-fee', { fromAddress: from, toAddress: '9 Elm St', vehicleType: 'BIKE' }, { traceparent })).status, 201);
    } finally {
      clock -= 61_000;
    }
    assert.equal(asked(), 2);
    // The caller's token went with it (no client credentials are configured here), and its trace, as a span of its own.
    assert.match(location.calls.at(-1)!.authorization!, /^Bearer ey/);
    assert.match(String(location.calls.at(-1)!.traceparent), /^00-4bf92f3577b34da6a3ce929d0e0e4736-(?!00f067aa0ba902b7)[0-9a-f]{16}-01$/);
  });

  it('quotes a known distance without the Location Service, in a zero-decimal currency, with exact halves rounded up', async () => {
    const calls = location.calls.length;
    const yen = await t.api.post('/payment/delivery-fee', { distanceKm: 2.5, vehicleType: 'BIKE', currency: 'JPY' });
    assert.equal(yen.status, 201, JSON.stringify(yen.body));
    // 2.5 km × 120 = 300 yen, tax 45, commission 75.
    assert.deepEqual(yen.body.data.breakdown, { cost: 300, tax: 45, total: 345, riderCommission: 75 });
    assert.equal(yen.body.data.durationMinutes, null);
    // 0.05 km by car: tax is 10.5 cents exactly, so 11; 0.005 km: a commission of 2.5 cents, so 3.
    const half = await t.api.post('/payment/delivery-fee', { distanceKm: 0.05, vehicleType: 'CAR' });
    assert.deepEqual(half.body.data.breakdown, { cost: 70, tax: 11, total: 81, riderCommission: 25 });
    const step = await t.api.post('/payment/delivery-fee', { distanceKm: 0.005, vehicleType: 'CAR' });
    assert.deepEqual(step.body.data.breakdown, { cost: 7, tax: 1, total: 8, riderCommission: 3 });
    assert.equal(location.calls.length, calls);
  });

  it('refuses a vehicle without a rate, naming those with one, before asking the Location Service', async () => {
    const calls = location.calls.length;
    const walk = await t.api.post('/payment/delivery-fee', { fromAddress: 'a', toAddress: 'b', vehicleType: 'WALK' });
    assert.equal(walk.status, 400);
    assert.equal(walk.body.code, 'validation_failed');
    assert.match(walk.body.message, /WALK has no delivery rate in USD; the vehicles with one are BIKE, CAR, TRUCK/);
    assert.equal(location.calls.length, calls);
    const both = await t.api.post('/payment/delivery-fee', { fromAddress: 'a', toAddress: 'b', distanceKm: 1, vehicleType: 'BIKE' });
    assert.equal(both.status, 400);
    const neither = await t.api.post('/payment/delivery-fee', { vehicleType: 'BIKE' });
    assert.equal(neither.status, 400);
    assert.match(neither.body.message, /fromAddress and toAddress .* or distanceKm/);
    const negative = await t.api.post('/payment/delivery-fee', { distanceKm: -1, vehicleType: 'BIKE' });
    assert.equal(negative.status, 400);
    assert.equal((await t.api.get('/payment/delivery-fee/quo_000000000000000000000000')).status, 404);
  });

  it('answers 503 dependency_unavailable, never a guess, when the Location Service is down, slow or talks nonsense', async () => {
    const ask = () => t.api.post('/payment/delivery-fee', { fromAddress: `x ${randomBytes(4).toString('hex')}`, toAddress: 'y', vehicleType: 'BIKE' });
    const quotesBefore = (await t.db.query<{ n: string }>('SELECT count(*) AS n FROM delivery_quotes')).rows[0]!.n;
    const cases: Array<[LocationServiceStub['behaviour'], RegExp]> = [
      [{ kind: 'status', status: 500 }, /The Location Service answered 500/],
      [{ kind: 'status', status: 403 }, /answered 403 \(it refused our token\)/],
      [{ kind: 'slow', delayMs: 1000 }, /did not answer within 300 ms/],
      [{ kind: 'malformed' }, /answered something that is not JSON/],
      [{ kind: 'body', body: { distanceKm: -3 } }, /no usable distance \(distanceKm -3\)/],
      [{ kind: 'body', body: { distanceKm: '3.2' } }, /no usable distance/],
      [{ kind: 'body', body: [] }, /no usable distance \(distanceKm missing\)/],
      [{ kind: 'body', body: { distanceKm: 1e9 } }, /a distance of 1000000000 km, more than any trip/],
    ];
    for (const [behaviour, message] of cases) {
      location.behaviour = behaviour;
      const response = await ask();
      assert.equal(response.status, 503, JSON.stringify(response.body));
      assert.equal(response.body.code, 'dependency_unavailable');
      assert.match(response.body.message, message);
    }
    location.behaviour = { kind: 'ok' };
    // An unknown route is the Location Service's 404: still no guess.
    assert.equal((await ask()).status, 503);
    await location.down();
    try {
      const refused = await ask();
      assert.equal(refused.status, 503);
      assert.match(refused.body.message, /The Location Service cannot be reached \(ECONNREFUSED\)/);
    } finally {
      await location.up();
    }
    assert.equal((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM delivery_quotes')).rows[0]!.n, quotesBefore);
  });

  describe('payments bound to a quote', () => {
    let customerId: string;
    let card: string;
    before(async () => {
      customerId = await createCustomer(t.api);
      card = await saveCard(t.api, customerId);
    });
    const quote = async (distanceKm = 3.2) => (await t.api.post('/payment/delivery-fee', { distanceKm, vehicleType: 'BIKE' })).body.data;
    const payFor = (q: { quoteId: string }, order: string, amount: number, extra: Record<string, unknown> = {}) =>
      t.api.post('/payment/payment-intent', { amount, currency: 'usd', customerId, paymentMethodId: card, orderId: order, quoteId: q.quoteId, ...extra });

    it('charges the quoted total and keeps the breakdown on the payment', async () => {
      const q = await quote();
      const order = orderId();
      const paid = await payFor(q, order, 2944);
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      const status = await t.api.get(`/payment/payment-intent/${paid.body.data.payment_intent_id}`);
      assert.deepEqual(status.body.data.quote, {
        quote_id: q.quoteId,
        breakdown: { cost: 2560, tax: 384, total: 2944, riderCommission: 640, distanceKm: '3.2', vehicleType: 'BIKE', currency: 'usd' },
      });
      assert.equal(status.body.data.delivery, null);
      assert.equal((await t.api.get(`/payment/delivery-fee/${q.quoteId}`)).body.data.orderId, order);
      const row = await t.db.query<{ quote_id: string }>('SELECT quote_id FROM payments WHERE order_id = $1', [order]);
      assert.equal(row.rows[0]!.quote_id, q.quoteId);
    });

    it('refuses an amount other than the total (400 amount_mismatch naming both), and writes no payment', async () => {
      const q = await quote();
      const order = orderId();
      const response = await payFor(q, order, 2900);
      assert.equal(response.status, 400);
      assert.equal(response.body.code, 'amount_mismatch');
      assert.match(response.body.message, /amount 2900 USD does not match quote quo_\w+'s total 2944 \(29\.44 USD\)/);
      const eur = await payFor(q, order, 2944, { currency: 'eur' });
      assert.equal(eur.body.code, 'amount_mismatch');
      assert.equal((await t.db.query('SELECT 1 FROM payments WHERE order_id = $1', [order])).rows.length, 0);
      assert.equal((await payFor(q, undefined as unknown as string, 2944)).status, 400);
    });

    it('refuses an expired quote (409 quote_expired), as the clock says', async () => {
      const q = await quote();
      clock += 901_000;
      try {
        const response = await payFor(q, orderId(), 2944);
        assert.equal(response.status, 409);
        assert.equal(response.body.code, 'quote_expired');
      } finally {
        clock -= 901_000;
      }
      assert.equal((await payFor(q, orderId(), 2944)).status, 200);
    });

    it('pays one order once: a second order with the same quote is 409 quote_used; the same order may try again after a decline', async () => {
      const q = await quote();
      const order = orderId();
      const declinedCard = await saveCard(t.api, customerId, 'pm_card_chargeCustomerFail');
      const declined = await payFor(q, order, 2944, { paymentMethodId: declinedCard });
      assert.equal(declined.status, 402);
      assert.equal((await payFor(q, order, 2944)).status, 200);
      const other = await payFor(q, orderId(), 2944);
      assert.equal(other.status, 409);
      assert.equal(other.body.code, 'quote_used');
      assert.match(other.body.message, new RegExp(`already pays order ${order}`));
      // Two orders racing for one quote: exactly one gets it.
      const raced = await quote();
      const answers = await Promise.all([payFor(raced, orderId(), 2944), payFor(raced, orderId(), 2944)]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409]);
    });
  });
});

describe('REQUIRE_QUOTE and service tokens for the Location Service', () => {
  let t: TestApp;
  let location: LocationServiceStub;
  let auth: AuthTokenEndpoint;

  before(async () => {
    location = await LocationServiceStub.start();
    auth = await AuthTokenEndpoint.start();
    t = await startTestApp({ jwks: true, env: { LOCATION_SERVICE_URL: location.url, REQUIRE_QUOTE: 'true', ...auth.env() } });
  });
  after(async () => {
    await t.close();
    await location.close();
    await auth.close();
  });

  it('holds a customer\'s own token to a quote, not the order service', async () => {
    const email = `quote-${randomBytes(4).toString('hex')}@example.com`;
    const customerId = await createCustomer(t.api, email);
    const card = await saveCard(t.api, customerId);
    const customer = t.anonymous.withToken(await platformUserToken(email));
    const without = await customer.post('/payment/payment-intent', { amount: 2944, currency: 'usd', customerId, paymentMethodId: card, orderId: orderId() });
    assert.equal(without.status, 400);
    assert.equal(without.body.param ?? without.body.code, 'quoteId');
    const q = (await customer.post('/payment/delivery-fee', { distanceKm: 3.2, vehicleType: 'BIKE' })).body.data;
    const withQuote = await customer.post('/payment/payment-intent', { amount: 2944, currency: 'usd', customerId, paymentMethodId: card, orderId: orderId(), quoteId: q.quoteId });
    assert.equal(withQuote.status, 200, JSON.stringify(withQuote.body));
    const orderClient = t.anonymous.withToken(await serviceToken(t.jwks!.key, 'microservice_order_client', 'order.read order.write'));
    const service = await orderClient.post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId: orderId() });
    assert.equal(service.status, 200, JSON.stringify(service.body));
  });

  it('asks the Location Service with a service token of scope location.read when client credentials are configured', async () => {
    location.route('A St', 'B St', 1.5);
    const response = await t.api.post('/payment/delivery-fee', { fromAddress: 'A St', toAddress: 'B St', vehicleType: 'CAR' });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.deepEqual(response.body.data.breakdown, { cost: 2100, tax: 315, total: 2415, riderCommission: 750 });
    const sent = location.calls.at(-1)!.authorization!;
    assert.equal(sent, `Bearer ${auth.issued.at(-1)}`);
    const claims = JSON.parse(Buffer.from(auth.issued.at(-1)!.split('.')[1]!, 'base64url').toString());
    assert.equal(claims.scope, 'location.read');
  });
});
