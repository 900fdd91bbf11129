import { randomBytes } from 'node:crypto';
import { createCustomer, newCardToken, pay, saveCard, uniqueEmail, type Api } from './app.js';

/** A customer with a saved card and a succeeded payment, made through the API by an administrator. */
export interface Customer {
  email: string;
  customerId: string;
  cardId: string;
  paymentIntentId: string;
}

export async function makeCustomer(admin: Api, prefix: string): Promise<Customer> {
  const email = uniqueEmail(prefix);
  const customerId = await createCustomer(admin, email);
  const cardId = await saveCard(admin, customerId);
  const paid = await pay(admin, customerId, cardId);
  if (paid.status !== 200) throw new Error(`payment answered ${paid.status}: ${JSON.stringify(paid.body)}`);
  return { email, customerId, cardId, paymentIntentId: paid.body.data.payment_intent_id };
}

export interface RouteRequest {
  method: string;
  url: string;
  body?: unknown;
}

export interface GuardedRoute {
  /** As in the OpenAPI document: `GET /payment/customer/{email}`. */
  route: string;
  /** A request that succeeds for whoever may act on `owner`'s data; fresh data it needs is made by `admin`. */
  request(admin: Api, owner: Customer): Promise<RouteRequest>;
}

const orderId = () => `order_${randomBytes(5).toString('hex')}`;

/**
 * Every route that needs a token, with a request that would succeed on the owner's data. The
 * matrix runs each against every kind of caller; a route the API document lists and this table
 * does not fails the matrix.
 */
export const GUARDED_ROUTES: GuardedRoute[] = [
  {
    route: 'POST /payment/customer',
    request: async (_, owner) => ({ method: 'POST', url: '/payment/customer', body: { email: owner.email, name: 'John Doe' } }),
  },
  {
    route: 'GET /payment/customer/{email}',
    request: async (_, owner) => ({ method: 'GET', url: `/payment/customer/${encodeURIComponent(owner.email)}` }),
  },
  {
    route: 'POST /payment/payment-method',
    request: async (_, owner) => ({ method: 'POST', url: '/payment/payment-method', body: { customerId: owner.customerId, paymentMethodId: newCardToken() } }),
  },
  {
    route: 'POST /payment/payment-method-details',
    request: async (_, owner) => ({
      method: 'POST',
      url: '/payment/payment-method-details',
      body: { customerId: owner.customerId, paymentMethodId: newCardToken(), cardholderName: 'John Doe', last4: '4242', cardType: 'visa', expiryDate: '12/34', isDefault: false },
    }),
  },
  {
    route: 'PUT /payment/payment-method',
    request: async (_, owner) => ({ method: 'PUT', url: '/payment/payment-method', body: { customerId: owner.customerId, paymentMethodId: owner.cardId, isDefault: true } }),
  },
  {
    route: 'DELETE /payment/payment-method',
    request: async (admin, owner) => ({
      method: 'DELETE',
      url: '/payment/payment-method',
      body: { customerId: owner.customerId, paymentMethodId: await saveCard(admin, owner.customerId) },
    }),
  },
  {
    route: 'GET /payment/payment-methods/{customerId}',
    request: async (_, owner) => ({ method: 'GET', url: `/payment/payment-methods/${owner.customerId}` }),
  },
  {
    route: 'POST /payment/payment-intent',
    request: async (_, owner) => ({
      method: 'POST',
      url: '/payment/payment-intent',
      body: { amount: 2500, currency: 'usd', customerId: owner.customerId, paymentMethodId: owner.cardId, orderId: orderId() },
    }),
  },
  {
    route: 'GET /payment/payment-intent/{id}',
    request: async (_, owner) => ({ method: 'GET', url: `/payment/payment-intent/${owner.paymentIntentId}` }),
  },
  {
    route: 'POST /payment/payment-intent/{id}/capture',
    request: async (admin, owner) => {
      const authorized = await pay(admin, owner.customerId, owner.cardId, { orderId: orderId(), captureMethod: 'manual' });
      return { method: 'POST', url: `/payment/payment-intent/${authorized.body.data.payment_intent_id}/capture`, body: {} };
    },
  },
  {
    route: 'POST /payment/payment-intent/{id}/cancel',
    request: async (admin, owner) => {
      const authorized = await pay(admin, owner.customerId, owner.cardId, { orderId: orderId(), captureMethod: 'manual' });
      return { method: 'POST', url: `/payment/payment-intent/${authorized.body.data.payment_intent_id}/cancel` };
    },
  },
  {
    route: 'GET /payment/payments',
    request: async (_, owner) => ({ method: 'GET', url: `/payment/payments?customerId=${owner.customerId}` }),
  },
  {
    route: 'GET /payment/refunds',
    request: async (_, owner) => ({ method: 'GET', url: `/payment/refunds?paymentIntentId=${owner.paymentIntentId}` }),
  },
  {
    route: 'POST /payment/refund',
    request: async (admin, owner) => {
      const paid = await pay(admin, owner.customerId, owner.cardId, { orderId: orderId() });
      return { method: 'POST', url: '/payment/refund', body: { paymentIntentId: paid.body.data.payment_intent_id, amount: 100 } };
    },
  },
  {
    route: 'GET /payment/admin/outbox',
    request: async () => ({ method: 'GET', url: '/payment/admin/outbox' }),
  },
  {
    route: 'GET /payment/admin/audit',
    request: async () => ({ method: 'GET', url: '/payment/admin/audit' }),
  },
  {
    route: 'POST /payment/delivery-fee',
    request: async () => ({ method: 'POST', url: '/payment/delivery-fee', body: { distanceKm: 3.2, vehicleType: 'BIKE' } }),
  },
  {
    route: 'GET /payment/delivery-fee/{quoteId}',
    request: async (admin) => {
      const quote = await admin.post('/payment/delivery-fee', { distanceKm: 3.2, vehicleType: 'BIKE' });
      return { method: 'GET', url: `/payment/delivery-fee/${quote.body.data.quoteId}` };
    },
  },
  {
    route: 'POST /payment/delivery-events',
    request: async (admin, owner) => {
      const order = orderId();
      const authorized = await pay(admin, owner.customerId, owner.cardId, { orderId: order, captureMethod: 'manual', captureOn: 'delivery' });
      if (authorized.status !== 200) throw new Error(`authorization answered ${authorized.status}: ${JSON.stringify(authorized.body)}`);
      return { method: 'POST', url: '/payment/delivery-events', body: { orderId: order, status: 'DELIVERED' } };
    },
  },
  {
    route: 'GET /payment/admin/authorizations',
    request: async () => ({ method: 'GET', url: '/payment/admin/authorizations?expiring=24h' }),
  },
  {
    route: 'GET /payment/admin/payments',
    request: async (_, owner) => ({ method: 'GET', url: `/payment/admin/payments?email=${encodeURIComponent(owner.email)}` }),
  },
  {
    route: 'GET /payment/admin/payments/{id}',
    request: async (_, owner) => ({ method: 'GET', url: `/payment/admin/payments/${owner.paymentIntentId}` }),
  },
  {
    route: 'GET /payment/admin/payments/{id}/processor',
    request: async (_, owner) => ({ method: 'GET', url: `/payment/admin/payments/${owner.paymentIntentId}/processor` }),
  },
  {
    route: 'POST /payment/admin/payments/{id}/reconcile',
    request: async (_, owner) => ({ method: 'POST', url: `/payment/admin/payments/${owner.paymentIntentId}/reconcile` }),
  },
  {
    route: 'POST /payment/admin/refunds/{id}/reconcile',
    request: async () => ({ method: 'POST', url: '/payment/admin/refunds/00000000-0000-4000-8000-000000000000/reconcile' }),
  },
  {
    route: 'GET /payment/admin/attention',
    request: async () => ({ method: 'GET', url: '/payment/admin/attention' }),
  },
  {
    route: 'GET /payment/admin/summary',
    request: async () => ({ method: 'GET', url: '/payment/admin/summary' }),
  },
  {
    // Without ORDER_SERVICE_URL nothing is queued: the admin passes the rule and learns there is no such entry.
    route: 'POST /payment/admin/outbox/{id}/retry',
    request: async () => ({ method: 'POST', url: '/payment/admin/outbox/1/retry' }),
  },
];

/** A request to the route with placeholder values: enough for the checks that come before validation. */
export function placeholderRequest(route: string): RouteRequest {
  const [method, path] = route.split(' ') as [string, string];
  const url = path
    .replace('{email}', 'someone%40example.com')
    .replace('{customerId}', 'cus_placeholder')
    .replace('{id}', path.includes('/outbox/') ? '1' : path.includes('/refunds/') ? '00000000-0000-4000-8000-000000000000' : 'pi_placeholder')
    .replace('{quoteId}', 'quo_000000000000000000000000');
  return method === 'GET' ? { method, url } : { method, url, body: {} };
}

/** `METHOD /path` of every operation in the OpenAPI document. */
export function documentedRoutes(spec: { paths: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(spec.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`));
}

/** Routes anyone may call: the probes, and Stripe's webhook, which its signature guards instead of a token. */
export const OPEN_ROUTES = ['GET /health', 'GET /ready', 'GET /payment/health', 'GET /payment/ready', 'POST /payment/webhooks/stripe'];
