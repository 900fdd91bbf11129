import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { SimulatedStripeError } from '../../src/processors/simulated/outcomes.js';
import { SimulatedStripe } from '../../src/processors/simulated/simulated-stripe.js';
import { readParams, WireError } from './wire-format.js';

/** One endpoint of the Stripe API: what it accepts and which engine call answers it. */
export interface Route {
  method: 'GET' | 'POST';
  /** Stripe's own name for the call, e.g. `payment_intents.create`. */
  operation: string;
  match(path: string): string[] | null;
  handle(engine: SimulatedStripe, raw: Record<string, unknown>, ids: string[]): Promise<unknown>;
}

function route<S extends TSchema>(
  method: Route['method'],
  path: string,
  operation: string,
  schema: S,
  handle: (engine: SimulatedStripe, params: Static<S>, ids: string[]) => Promise<unknown>,
): Route {
  const pattern = new RegExp(`^${path.replace(/:\w+/g, '([^/]+)')}$`);
  return {
    method,
    operation,
    match: (candidate) => pattern.exec(candidate)?.slice(1).map(decodeURIComponent) ?? null,
    handle: async (engine, raw, ids) => {
      const params = readParams(schema, raw);
      try {
        return await handle(engine, params, ids);
      } catch (error) {
        if (!(error instanceof SimulatedStripeError)) throw error;
        // A declined confirmation carries the intent inside the error, as Stripe's 402 does.
        const intent = error.paymentIntent ? { payment_intent: error.paymentIntent } : {};
        throw new WireError(error.statusCode, { ...error.error, ...intent });
      }
    },
  };
}

const obj = <P extends Record<string, TSchema>>(properties: P) => Type.Object(properties, { additionalProperties: false });
const opt = Type.Optional;
const oneOf = (...values: string[]) => Type.Union(values.map((value) => Type.Literal(value)));
const Metadata = Type.Record(Type.String(), Type.String());
const Expand = opt(Type.Array(Type.String()));
const list = (url: string, value: { data: unknown[]; has_more: boolean }) => ({ object: 'list', url, ...value });

const RETURN_URL_REQUIRED =
  'This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment ' +
  'methods might redirect your customer off of your page, you must provide a `return_url`. If you don\'t want to accept ' +
  'redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and ' +
  '`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.';

const PaymentIntentCreate = obj({
  amount: Type.Integer(),
  currency: Type.String(),
  customer: opt(Type.String()),
  payment_method: opt(Type.String()),
  confirm: opt(Type.Boolean()),
  capture_method: opt(Type.Union([Type.Literal('automatic'), Type.Literal('manual')])),
  metadata: opt(Metadata),
  description: opt(Type.String()),
  return_url: opt(Type.String()),
  automatic_payment_methods: opt(obj({ enabled: Type.Boolean(), allow_redirects: opt(oneOf('always', 'never')) })),
  expand: Expand,
});

/**
 * Stripe's rule for a confirmation made on the server: redirect-capable payment methods are on by
 * default, so a `return_url` is required unless redirects are turned off; both at once is refused.
 */
function checkRedirects(params: Static<typeof PaymentIntentCreate>): void {
  const noRedirects = params.automatic_payment_methods?.enabled === true && params.automatic_payment_methods.allow_redirects === 'never';
  if (noRedirects && params.return_url !== undefined) {
    throw new WireError(400, {
      type: 'invalid_request_error',
      message: 'You cannot provide a `return_url` when `automatic_payment_methods[allow_redirects]` is `never`.',
      param: 'return_url',
    });
  }
  if (params.confirm && params.return_url === undefined && !noRedirects) {
    throw new WireError(400, { type: 'invalid_request_error', message: RETURN_URL_REQUIRED, param: 'return_url' });
  }
}

const Limit = opt(Type.Integer({ minimum: 1, maximum: 100 }));
const ById = obj({ expand: Expand });
const Page = { limit: Limit, starting_after: opt(Type.String()), expand: Expand };
const Range = opt(obj({ gte: opt(Type.Integer()), gt: opt(Type.Integer()), lte: opt(Type.Integer()), lt: opt(Type.Integer()) }));

/** The endpoints the payment service calls, with the parameters Stripe documents for them. */
export const ROUTES: readonly Route[] = [
  route('GET', '/v1/customers', 'customers.list', obj({ email: Type.String(), limit: Limit }), async (engine, p) =>
    list('/v1/customers', await engine.listCustomers(p)),
  ),
  route(
    'POST',
    '/v1/customers',
    'customers.create',
    obj({ email: opt(Type.String()), name: opt(Type.String()), metadata: opt(Metadata), expand: Expand }),
    (engine, { expand: _expand, ...params }) => engine.createCustomer(params),
  ),
  route('GET', '/v1/customers/:id', 'customers.retrieve', ById, (engine, _p, [id]) => engine.retrieveCustomer(id!)),
  route(
    'POST',
    '/v1/customers/:id',
    'customers.update',
    obj({ invoice_settings: opt(obj({ default_payment_method: opt(Type.String()) })), expand: Expand }),
    (engine, { expand: _expand, ...params }, [id]) => engine.updateCustomer(id!, params),
  ),
  route(
    'GET',
    '/v1/payment_methods',
    'payment_methods.list',
    obj({ customer: Type.String(), type: opt(Type.Literal('card')), limit: Limit }),
    async (engine, p) => list('/v1/payment_methods', await engine.listPaymentMethods({ customer: p.customer })),
  ),
  route(
    'POST',
    '/v1/payment_methods',
    'payment_methods.create',
    obj({ type: Type.Literal('card'), card: obj({ token: Type.String() }), expand: Expand }),
    (engine, { expand: _expand, ...params }) => engine.createPaymentMethod(params),
  ),
  route('GET', '/v1/payment_methods/:id', 'payment_methods.retrieve', ById, (engine, _p, [id]) => engine.retrievePaymentMethod(id!)),
  route(
    'POST',
    '/v1/payment_methods/:id/attach',
    'payment_methods.attach',
    obj({ customer: Type.String(), expand: Expand }),
    (engine, p, [id]) => engine.attachPaymentMethod(id!, { customer: p.customer }),
  ),
  route('POST', '/v1/payment_methods/:id/detach', 'payment_methods.detach', ById, (engine, _p, [id]) => engine.detachPaymentMethod(id!)),
  // Intents expand `latest_charge` when asked (`expand[]=latest_charge`), as Stripe does: the charge
  // carries `payment_method_details.card.capture_before`.
  route('POST', '/v1/payment_intents', 'payment_intents.create', PaymentIntentCreate, (engine, p) => {
    checkRedirects(p);
    const { automatic_payment_methods: _apm, ...params } = p;
    return engine.createPaymentIntent(params);
  }),
  route(
    'GET',
    '/v1/payment_intents',
    'payment_intents.list',
    obj({ customer: Type.String(), created: Range, ...Page }),
    async (engine, { created, ...p }) => {
      if (created && (created.gt !== undefined || created.lt !== undefined || created.lte !== undefined)) {
        throw new WireError(400, { type: 'invalid_request_error', message: 'The test server filters created by gte only.', param: 'created' });
      }
      return list('/v1/payment_intents', await engine.listPaymentIntents({ ...p, created }));
    },
  ),
  route('GET', '/v1/payment_intents/:id', 'payment_intents.retrieve', ById, (engine, p, [id]) => engine.retrievePaymentIntent(id!, p)),
  route(
    'POST',
    '/v1/payment_intents/:id/capture',
    'payment_intents.capture',
    obj({ amount_to_capture: opt(Type.Integer()), expand: Expand }),
    (engine, params, [id]) => engine.capturePaymentIntent(id!, params),
  ),
  route(
    'POST',
    '/v1/payment_intents/:id/cancel',
    'payment_intents.cancel',
    obj({ cancellation_reason: opt(oneOf('duplicate', 'fraudulent', 'requested_by_customer', 'abandoned')), expand: Expand }),
    (engine, params, [id]) => engine.cancelPaymentIntent(id!, params),
  ),
  // What Stripe.js sends with the intent's client secret (here, the secret key): a customer trying again on an open intent.
  route(
    'POST',
    '/v1/payment_intents/:id/confirm',
    'payment_intents.confirm',
    // What Stripe.js calls from the browser (confirmCardPayment), with the client secret; and a server's confirm.
    obj({ payment_method: opt(Type.String()), client_secret: opt(Type.String()), return_url: opt(Type.String()), expand: Expand }),
    (engine, params, [id]) => engine.confirmPaymentIntent(id!, params),
  ),
  route(
    'POST',
    '/v1/refunds',
    'refunds.create',
    obj({ payment_intent: Type.String(), amount: opt(Type.Integer()), reason: opt(Type.String()), metadata: opt(Metadata), expand: Expand }),
    (engine, { expand: _expand, ...params }) => engine.createRefund(params),
  ),
  route('GET', '/v1/refunds', 'refunds.list', obj({ payment_intent: Type.String(), ...Page }), async (engine, { expand: _expand, ...p }) =>
    list('/v1/refunds', await engine.listRefunds(p)),
  ),
  route('GET', '/v1/refunds/:id', 'refunds.retrieve', ById, (engine, _p, [id]) => engine.retrieveRefund(id!)),
];

/** The route for a request, with the ids its path carries; null for a URL Stripe does not know. */
export function findRoute(method: string, path: string): { route: Route; ids: string[] } | null {
  for (const candidate of ROUTES) {
    if (candidate.method !== method) continue;
    const ids = candidate.match(path);
    if (ids) return { route: candidate, ids };
  }
  return null;
}
