import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RouteAccess } from '../../src/http/access.js';
import { saveCard, startTestApp, type Api, type TestApp } from '../helpers/app.js';
import { documentedRoutes, GUARDED_ROUTES, makeCustomer, OPEN_ROUTES, type Customer } from '../helpers/guarded-routes.js';
import { NAME_CLAIM, NAME_IDENTIFIER_CLAIM, platformUserToken, ROLE_CLAIM, serviceToken, signHs256 } from '../helpers/tokens.js';

type Caller = 'owner' | 'otherCustomer' | 'paymentRead' | 'paymentWrite' | 'orderClient' | 'otherScope' | 'admin';
type Expected = 'ok' | 403 | 404 | 409;

/** Each route, and what each kind of caller gets when it acts on the owner's data. */
const COLUMNS: Caller[] = ['owner', 'otherCustomer', 'paymentRead', 'paymentWrite', 'orderClient', 'otherScope', 'admin'];
const MATRIX: Record<string, Expected[]> = {
  //                                           owner  other  read   write  order  other  admin
  'POST /payment/customer':                   ['ok',  403,   403,   'ok',  403,   403,   'ok'],
  'GET /payment/customer/{email}':            ['ok',  404,   'ok',  403,   403,   403,   'ok'],
  'POST /payment/payment-method':             ['ok',  404,   403,   'ok',  403,   403,   'ok'],
  'POST /payment/payment-method-details':     ['ok',  404,   403,   'ok',  403,   403,   'ok'],
  'PUT /payment/payment-method':              ['ok',  404,   403,   'ok',  403,   403,   'ok'],
  'DELETE /payment/payment-method':           ['ok',  404,   403,   'ok',  403,   403,   'ok'],
  'GET /payment/payment-methods/{customerId}': ['ok', 404,   'ok',  403,   403,   403,   'ok'],
  'POST /payment/payment-intent':             ['ok',  404,   403,   'ok',  'ok',  403,   'ok'],
  'GET /payment/payment-intent/{id}':         ['ok',  404,   'ok',  403,   403,   403,   'ok'],
  'POST /payment/refund':                     [403,   403,   403,   'ok',  'ok',  403,   'ok'],
  'POST /payment/payment-intent/{id}/capture': [403,  403,   403,   'ok',  403,   403,   'ok'],
  'POST /payment/payment-intent/{id}/cancel': ['ok',  404,   403,   'ok',  'ok',  403,   'ok'],
  'GET /payment/payments':                    ['ok',  404,   'ok',  403,   403,   403,   'ok'],
  'GET /payment/refunds':                     ['ok',  404,   'ok',  403,   403,   403,   'ok'],
  'GET /payment/admin/outbox':                [403,   403,   403,   403,   403,   403,   'ok'],
  'GET /payment/admin/audit':                 [403,   403,   403,   403,   403,   403,   'ok'],
  'POST /payment/admin/outbox/{id}/retry':    [403,   403,   403,   403,   403,   403,   404],
  'POST /payment/delivery-fee':               ['ok',  'ok',  'ok',  'ok',  'ok',  403,   'ok'],
  'GET /payment/delivery-fee/{quoteId}':      ['ok',  'ok',  'ok',  'ok',  'ok',  403,   'ok'],
  'POST /payment/delivery-events':            [403,   403,   403,   403,   'ok',  403,   'ok'],
  'GET /payment/admin/authorizations':        [403,   403,   403,   403,   403,   403,   'ok'],
  'GET /payment/admin/payments':             [403,   403,   403,   403,   403,   403,   'ok'],
  'GET /payment/admin/payments/{id}':        [403,   403,   403,   403,   403,   403,   'ok'],
  'GET /payment/admin/payments/{id}/processor':[403,   403,   403,   403,   403,   403,   'ok'],
  // The owner's payment is settled: the admin passes the rule and is told there is nothing to settle.
  'POST /payment/admin/payments/{id}/reconcile':[403,  403,   403,   403,   403,   403,   409],
  'POST /payment/admin/refunds/{id}/reconcile':[403,   403,   403,   403,   403,   403,   404],
  'GET /payment/admin/attention':            [403,   403,   403,   403,   403,   403,   'ok'],
  'GET /payment/admin/summary':              [403,   403,   403,   403,   403,   403,   'ok'],
};

describe('who may do what: every guarded route against every kind of caller', () => {
  let t: TestApp;
  let owner: Customer;
  let other: Customer;
  const callers = {} as Record<Caller, Api>;
  const registrationErrors: string[] = [];

  before(async () => {
    t = await startTestApp({
      jwks: true,
      // A route that forgets its rule, or declares a bad one, must stop the app from building.
      beforeReady: (app) => {
        const declarations: Array<RouteAccess | undefined> = [undefined, 'read', 'everyone' as RouteAccess, { rule: 'admin-or-write', owner: { customerId: 'body.customerId' } }];
        declarations.forEach((access, i) => {
          try {
            app.get(`/payment/forgotten-${i}`, access === undefined ? {} : { config: { access } }, async () => ({}));
          } catch (error) {
            registrationErrors.push((error as Error).message);
          }
        });
      },
    });
    [owner, other] = await Promise.all([makeCustomer(t.api, 'owner'), makeCustomer(t.api, 'other')]);
    const key = t.jwks!.key;
    const bearer = (token: string) => t.anonymous.withToken(token);
    callers.owner = bearer(await platformUserToken(owner.email.toUpperCase()));
    callers.otherCustomer = bearer(await platformUserToken(other.email));
    callers.paymentRead = bearer(await serviceToken(key, 'reporting_client', 'payment.read'));
    callers.paymentWrite = bearer(await serviceToken(key, 'writer_client', 'payment.write'));
    callers.orderClient = bearer(await serviceToken(key, 'microservice_order_client', 'order.read order.write'));
    callers.otherScope = bearer(await serviceToken(key, 'microservice_location_client', 'location.read'));
    // An administrator as the .NET Auth Service would write one: the role in its claim URI.
    callers.admin = bearer(await signHs256({ [NAME_CLAIM]: 'boss@example.com', [ROLE_CLAIM]: 'admin' }));
  });
  after(() => t.close());

  /** What a refused request must leave as it was. */
  const snapshot = async () =>
    (
      await t.db.query(
        `SELECT (SELECT count(*)::int FROM customers) AS customers,
                (SELECT coalesce(string_agg(id || ':' || is_default, ',' ORDER BY id), '') FROM payment_methods) AS cards,
                (SELECT count(*)::int FROM payments) AS payments,
                (SELECT count(*)::int FROM refunds) AS refunds`,
      )
    ).rows[0];

  it('has a row for every route of the API document that is not open, and nothing else', async () => {
    const spec = (await t.anonymous.get('/payment/api-docs.json')).body;
    const documented = documentedRoutes(spec).filter((route) => !OPEN_ROUTES.includes(route)).sort();
    assert.deepEqual(Object.keys(MATRIX).sort(), documented);
    assert.deepEqual(GUARDED_ROUTES.map((r) => r.route).sort(), documented);
    for (const route of documented) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = spec.paths[path][method.toLowerCase()];
      assert.deepEqual(operation.security, [{ bearerAuth: [] }], `${route} documents its bearer token`);
      assert.ok(operation.responses['401'] && operation.responses['403'], `${route} documents 401 and 403`);
      assert.match(operation.description, /\*\*Access\*\*: Requires the admin role/, `${route} says who may call it`);
    }
    for (const route of OPEN_ROUTES) {
      const [method, path] = route.split(' ') as [string, string];
      assert.deepEqual(spec.paths[path][method.toLowerCase()].security, [], `${route} is open, and says so`);
    }
  });

  it('refuses to build an app with a route that declares no usable access rule', () => {
    assert.deepEqual(registrationErrors, [
      'Route GET /payment/forgotten-0 declares no access rule (config.access)',
      'Route GET /payment/forgotten-1 declares rule read, which customers may pass, without an owner field',
      'Route GET /payment/forgotten-2 declares an unknown access rule "everyone"',
      'Route GET /payment/forgotten-3 declares an owner field for rule admin-or-write, which customers never pass',
    ]);
  });

  it('answers another customer\'s email, customer id and payment exactly as ones that do not exist', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['/payment/customer/', other.email, 'nobody-at-all@example.com', 'customer_not_found'],
      ['/payment/payment-methods/', other.customerId, 'cus_NoSuchCustomer0', 'customer_not_found'],
      ['/payment/payment-intent/', other.paymentIntentId, 'pi_NoSuchPayment0', 'payment_intent_not_found'],
    ];
    for (const [path, theirs, missing, code] of cases) {
      const probed = await callers.owner.get(path + encodeURIComponent(theirs));
      const absent = await callers.owner.get(path + encodeURIComponent(missing));
      assert.equal(probed.status, 404);
      assert.equal(probed.body.code, code);
      assert.deepEqual({ ...probed.body, message: probed.body.message.replace(theirs, '?') }, { ...absent.body, message: absent.body.message.replace(missing, '?') });
    }
  });

  it('keeps a customer off another customer\'s card, even under its own customer id', async () => {
    const state = await snapshot();
    const theirCard = { customerId: owner.customerId, paymentMethodId: other.cardId };
    for (const response of [
      await callers.owner.delete('/payment/payment-method', theirCard),
      await callers.owner.put('/payment/payment-method', { ...theirCard, isDefault: true }),
      await callers.owner.post('/payment/payment-intent', { ...theirCard, amount: 2500, currency: 'usd', orderId: 'order_their_card' }),
    ]) {
      assert.equal(response.status, 404, JSON.stringify(response.body));
      assert.equal(response.body.code, 'payment_method_not_found');
    }
    // Saving it is refused as for any caller (a card belongs to one customer), as if it did not exist.
    const saved = await callers.owner.post('/payment/payment-method', theirCard);
    assert.deepEqual([saved.status, saved.body.code], [404, 'payment_method_not_found']);
    assert.deepEqual(await snapshot(), state);
  });

  it('does not fold Unicode look-alikes into another customer\'s email (the Kelvin sign is not a k)', async () => {
    const victimEmail = `kim-${Date.now()}@example.com`;
    const victim = await t.api.post('/payment/customer', { email: victimEmail, name: 'Kim' });
    const lookalike = t.anonymous.withToken(await platformUserToken(`\u212A${victimEmail.slice(1)}`));
    const state = await snapshot();
    const probes = [
      await lookalike.get(`/payment/customer/${encodeURIComponent(victimEmail)}`),
      await lookalike.get(`/payment/payment-methods/${victim.body.data.customerId}`),
      await lookalike.post('/payment/customer', { email: victimEmail, name: 'Not Kim' }),
    ];
    assert.deepEqual(probes.map((r) => r.status), [404, 404, 403]);
    assert.deepEqual(await snapshot(), state);
  });

  it('keeps a customer\'s records with the user who made them when its email changes hands', async () => {
    const email = `handed-over-${Date.now()}@example.com`;
    const firstHolder = t.anonymous.withToken(await platformUserToken(email, { userId: 'user-first-holder' }));
    const created = await firstHolder.post('/payment/customer', { email, name: 'First Holder' });
    assert.equal(created.status, 201);
    const customerId: string = created.body.data.customerId;
    const card = await saveCard(t.api, customerId);
    const { rows } = await t.db.query<{ owner_subject: string | null }>('SELECT owner_subject FROM customers WHERE processor_customer_id = $1', [customerId]);
    assert.equal(rows[0]!.owner_subject, 'user-first-holder');
    assert.equal((await firstHolder.get(`/payment/payment-methods/${customerId}`)).status, 200);

    // The Auth Service gives the address to another user: same email, another user id.
    const newHolder = t.anonymous.withToken(await platformUserToken(email, { userId: 'user-new-holder' }));
    const state = await snapshot();
    const probes = [
      await newHolder.get(`/payment/customer/${encodeURIComponent(email)}`),
      await newHolder.get(`/payment/payment-methods/${customerId}`),
      await newHolder.post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId: card, orderId: `order_handed_${Date.now()}` }),
      await newHolder.post('/payment/customer', { email, name: 'New Holder' }),
    ];
    assert.deepEqual(probes.map((r) => r.status), [404, 404, 404, 403], JSON.stringify(probes.map((r) => r.body)));
    assert.deepEqual(await snapshot(), state, 'nothing changed');
  });

  it('gives a user token without an email, roles or scopes nothing', async () => {
    const anonymousUser = t.anonymous.withToken(await signHs256({ [NAME_IDENTIFIER_CLAIM]: 'user-7' }));
    for (const { route, request } of GUARDED_ROUTES) {
      const { method, url, body } = await request(t.api, owner);
      assert.equal((await anonymousUser.request(method, url, body)).status, 403, route);
    }
  });

  for (const { route, request } of GUARDED_ROUTES) {
    it(route, async () => {
      const row = MATRIX[route];
      assert.ok(row, `${route} has a row in the matrix`);
      for (const [i, caller] of COLUMNS.entries()) {
        const expected: Expected = row[i]!;
        const { method, url, body } = await request(t.api, owner);
        const state = await snapshot();
        const response = await callers[caller].request(method, url, body);
        const label = `${caller} on ${route}: ${response.status} ${JSON.stringify(response.body)}`;
        if (expected === 'ok') {
          assert.ok(response.status === 200 || response.status === 201, label);
          continue;
        }
        assert.equal(response.status, expected, label);
        assert.equal(response.body.success, false);
        assert.match(response.body.code, expected === 403 ? /^forbidden$/ : expected === 409 ? /^invalid_state$/ : /_not_found$/, label);
        assert.deepEqual(await snapshot(), state, `${label} changed nothing`);
      }
    });
  }
});
