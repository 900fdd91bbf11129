import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { webhookSecrets } from '../../src/config-webhooks.js';
import { STRIPE_WEBHOOK_PATH } from '../../src/processors/processor-events.js';
import type { EventSink } from '../../src/processors/simulated/event-delivery.js';
import type { PaymentProcessor } from '../../src/processors/processor.js';
import { SimulatedProcessor, type SimulatedFaults } from '../../src/processors/simulated/simulated-processor.js';
import type { Database } from '../../src/store/database.js';
import { ProcessorError } from '../../src/processors/processor.js';
import { SimulatedLedger } from '../../src/store/simulated-ledger.js';
import { openDatabase } from '../../src/store/database.js';
import { openTestDatabase, type TestDatabase } from './database.js';
import { watchDocumentedAnswers } from './documented-answers.js';
import { adminToken, JwksServer, newSigningKey, TEST_JWT_SECRET, type SigningKey } from './tokens.js';

/** The data key the test apps seal tokens and personal data with, made per run. */
export const TEST_DATA_KEY = randomBytes(32).toString('base64');

async function shareDatabase(other: TestDatabase): Promise<TestDatabase> {
  if (!other.url) return { ...other, close: async () => {} };
  const db = await openDatabase({ url: other.url, schema: other.schema ?? undefined, poolMax: 20 });
  return { db, url: other.url, schema: other.schema, close: () => db.close() };
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/**
 * True for a refund request the service requires an Idempotency-Key for: any but the Order
 * Service's `{orderId}` form without an amount (which refunds the whole order once without one).
 */
export function refundNeedsKey(method: string, url: string, body: unknown): boolean {
  if (method.toUpperCase() !== 'POST' || url.split('?')[0] !== '/payment/refund') return false;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return true;
  const fields = body as Record<string, unknown>;
  return !(fields['orderId'] !== undefined && fields['amount'] === undefined && fields['paymentIntentId'] === undefined);
}

/**
 * A thin client over `app.inject`: JSON in, parsed JSON out. A refund that needs an
 * Idempotency-Key is sent with a fresh one unless the test sends its own (the same key for a
 * retry) or asks for none (`withoutRefundKey`, for the tests of that refusal).
 */
export class Api {
  constructor(
    private readonly app: FastifyInstance,
    private readonly defaultHeaders: Record<string, string> = {},
    private readonly keysRefunds = true,
  ) {}

  async request<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const sent = { ...this.defaultHeaders, ...headers };
    const keyed = Object.keys(sent).some((name) => name.toLowerCase() === 'idempotency-key');
    const refundKey = this.keysRefunds && !keyed && refundNeedsKey(method, url, body) ? { 'idempotency-key': `refund-${randomUUID()}` } : {};
    const response = await this.app.inject({
      method: method as 'GET',
      url,
      headers: { ...this.defaultHeaders, ...refundKey, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    let parsed: unknown = response.body;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      // Not JSON (Swagger UI's HTML); the raw text is answered.
    }
    return { status: response.statusCode, body: parsed as T, headers: response.headers };
  }

  get<T = any>(url: string, headers?: Record<string, string>) {
    return this.request<T>('GET', url, undefined, headers);
  }
  post<T = any>(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', url, body, headers);
  }
  put<T = any>(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PUT', url, body, headers);
  }
  delete<T = any>(url: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('DELETE', url, body, headers);
  }

  withHeaders(headers: Record<string, string>): Api {
    return new Api(this.app, { ...this.defaultHeaders, ...headers }, this.keysRefunds);
  }

  /** The same client, sending refunds without the Idempotency-Key it otherwise adds. */
  withoutRefundKey(): Api {
    return new Api(this.app, this.defaultHeaders, false);
  }

  /** The same client, sending `Authorization: Bearer <token>`. */
  withToken(token: string): Api {
    return this.withHeaders({ authorization: `Bearer ${token}` });
  }
}

export interface TestApp {
  app: FastifyInstance;
  /** Sends an administrator's token, so that suites about other subjects need not think of access. */
  api: Api;
  /** Sends no token. */
  anonymous: Api;
  db: Database;
  database: TestDatabase;
  config: Config;
  processor: PaymentProcessor;
  /** The loopback JWKS the app trusts for service tokens, with its first key (option `jwks`). */
  jwks: { server: JwksServer; key: SigningKey } | null;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** A second instance on the same data: its own connection pool on PostgreSQL, the same PGlite in memory. */
  sameDatabaseAs?: TestApp;
  /** Another processor than the simulated one on the test database. */
  processor?: (db: Database) => PaymentProcessor;
  faults?: SimulatedFaults;
  /** Instead of the silent logger (pino options, e.g. with a stream to read the lines). */
  logger?: FastifyServerOptions['logger'];
  /** Runs on the built app before it is ready: to observe requests with a hook. */
  beforeReady?: (app: FastifyInstance) => void;
  /** Serve the Auth Service's JWKS over loopback, with one RS256 key published, and trust it for service tokens. */
  jwks?: boolean;
  /**
   * The simulated processor sends its events, signed, to the app's webhook endpoint (through
   * `inject`), as `npm start` does over HTTP. Off by default: events are then only kept.
   */
  deliverEvents?: boolean;
  /** The app's clock (payments, quotes, the authorization watchdog), for tests that move time. */
  now?: () => Date;
}

/** Delivers signed events to an app's webhook endpoint through `inject`; anything but 2xx is a failed delivery. */
export function injectEventSink(app: () => FastifyInstance): EventSink {
  return async ({ payload, signature }) => {
    const response = await app().inject({
      method: 'POST',
      url: STRIPE_WEBHOOK_PATH,
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
      payload,
    });
    if (response.statusCode < 200 || response.statusCode > 299) throw new Error(`the webhook endpoint answered ${response.statusCode}: ${response.body}`);
  };
}

/** The real application on a fresh test database, with the simulated processor unless told otherwise. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.sameDatabaseAs ? await shareDatabase(options.sameDatabaseAs.database) : await openTestDatabase();
  const jwks = options.jwks ? { server: await JwksServer.start(), key: await newSigningKey('RS256') } : null;
  jwks?.server.publish(jwks.key);
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    // The limits run (in memory) in every test, with budgets no test reaches unless it sets its own.
    RATE_LIMIT_READ_MAX: '1000000',
    RATE_LIMIT_WRITE_MAX: '1000000',
    // One data key for every instance of a test run, so two instances on one database read each other's sealed values.
    DATA_ENCRYPTION_KEY: TEST_DATA_KEY,
    ...(jwks ? { JWKS_URL: jwks.server.url } : {}),
    ...options.env,
  });
  let built: FastifyInstance | undefined;
  const delivery = options.deliverEvents ? { sink: injectEventSink(() => built!), secret: () => webhookSecrets(config)[0]! } : undefined;
  const processor =
    options.processor?.(database.db) ?? new SimulatedProcessor(new SimulatedLedger(database.db), options.faults, delivery ? { delivery } : {});
  const app = (built = await buildApp(config, { db: database.db, processor, ...(options.now ? { now: options.now } : {}) }, options.logger ? { logger: options.logger } : {}));
  const answers = watchDocumentedAnswers(app);
  options.beforeReady?.(app);
  await app.ready();
  return {
    app,
    api: new Api(app, { authorization: `Bearer ${await adminToken({ expiresIn: 3600 })}` }),
    anonymous: new Api(app),
    db: database.db,
    database,
    config,
    processor,
    jwks,
    async close() {
      await app.close();
      await database.close();
      await jwks?.server.close();
      // Fails the test file without cutting short the cleanup its callers still have to do.
      const undocumented = answers.undocumented();
      if (undocumented.length > 0) {
        console.error(`Answers the API document does not show (add them to the route's schema.response):\n  ${undocumented.join('\n  ')}`);
        process.exitCode = 1;
      }
    },
  };
}

/** An email no other test uses. */
export function uniqueEmail(prefix = 'customer'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}@example.com`;
}

/** A `pm_` id the simulated processor has never seen: a fresh Visa ending 4242. */
export function newCardToken(): string {
  return `pm_test${randomBytes(8).toString('hex')}`;
}

export async function createCustomer(api: Api, email = uniqueEmail(), name = 'John Doe'): Promise<string> {
  const response = await api.post('/payment/customer', { email, name });
  if (response.status !== 201) throw new Error(`customer creation answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.data.customerId;
}

/** Saves a card and answers its payment_method_id (a test id such as pm_card_visa gets a new id). */
export async function saveCard(api: Api, customerId: string, paymentMethodId = newCardToken()): Promise<string> {
  const response = await api.post('/payment/payment-method', { customerId, paymentMethodId });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`saving a card answered ${response.status}: ${JSON.stringify(response.body)}`);
  }
  return response.body.data.payment_method_id;
}

/** Charges a card for a new order (each call its own order unless `extra.orderId` says otherwise). */
export async function pay(api: Api, customerId: string, paymentMethodId: string, extra: Record<string, unknown> = {}) {
  return api.post('/payment/payment-intent', { amount: 2500, currency: 'usd', customerId, paymentMethodId, orderId: `order_${randomBytes(6).toString('hex')}`, ...extra });
}

/** A new customer's payment for a new order that waits for 3-D Secure (pm_card_authenticationRequired). */
export async function payAwaitingAuthentication(api: Api, extra: Record<string, unknown> = {}) {
  const customerId = await createCustomer(api);
  const card = await saveCard(api, customerId, 'pm_card_authenticationRequired');
  const orderId = `order_${randomBytes(6).toString('hex')}`;
  const response = await pay(api, customerId, card, { orderId, ...extra });
  if (response.body.data?.status !== 'requires_action') throw new Error(`expected requires_action: ${JSON.stringify(response.body)}`);
  return { customerId, card, orderId, id: response.body.data.payment_intent_id as string, nextAction: response.body.data.next_action };
}

/** Payment intents the simulated processor holds that took money (or hold it authorized). */
export async function processorCharges(db: Database, orderId?: string): Promise<Array<{ id: string; status: string; amount: number }>> {
  const { rows } = await db.query<{ id: string; status: string; amount: number }>(
    `SELECT id, data->>'status' AS status, (data->>'amount')::int AS amount FROM simulated_processor_objects
     WHERE type = 'payment_intent' AND data->>'status' IN ('succeeded', 'requires_capture')
       AND ($1::text IS NULL OR data->'metadata'->>'order_id' = $1)`,
    [orderId ?? null],
  );
  return rows;
}

/** A processor outage, as the simulated processor's fault hooks raise it. */
export function outage(operation: string): ProcessorError {
  return new ProcessorError('unavailable', `simulated outage during ${operation}`);
}
