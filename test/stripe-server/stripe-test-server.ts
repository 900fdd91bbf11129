import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stripeLikeId } from '../../src/processors/simulated/ids.js';
import { EventDelivery, httpEventSink } from '../../src/processors/simulated/event-delivery.js';
import type { StripeLikeEvent } from '../../src/processors/simulated/events.js';
import { SimulatedStripe } from '../../src/processors/simulated/simulated-stripe.js';
import type { StripeLikePaymentIntent, StripeLikeRefund } from '../../src/processors/stripe-shapes.js';
import { canonicalJson } from '../../src/util/canonical-json.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { SimulatedLedger } from '../../src/store/simulated-ledger.js';
import { FaultPlan, faultBody, type FaultTarget, type StatusFault } from './faults.js';
import { findRoute } from './routes.js';
import { errorBody, jsonBody, parseForm, WireError } from './wire-format.js';

/** One request as the server received it. The Authorization header is never kept. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Stripe's name for the call (`payment_intents.create`), null for an unknown URL. */
  operation: string | null;
  params: Record<string, unknown>;
  idempotencyKey: string | null;
  stripeVersion: string | null;
  /** The status answered, or `dropped` when the connection was cut without an answer. */
  status: number | 'dropped';
  replayed: boolean;
}

interface StoredAnswer {
  fingerprint: string;
  status: number;
  body: string;
}

type Answer = { status: number; body: string; replayed?: boolean; headers?: Record<string, string> };

/**
 * A Stripe-compatible HTTP server for tests, on 127.0.0.1 and a free port: Stripe's wire format
 * (form-encoded bracketed parameters in, pretty JSON and `{error: {...}}` out), Bearer
 * authentication, and Idempotency-Key semantics kept on the wire: the first answer for a key is
 * stored byte for byte and replayed for the same parameters, a different request with the key is a
 * 400 `idempotency_error`. The objects and test cards come from the SimulatedStripe engine on a
 * database of the server's own, so both processors meet the same behaviour.
 */
export class StripeTestServer {
  readonly requests: RecordedRequest[] = [];
  private readonly faults = new FaultPlan();
  private readonly answers = new Map<string, StoredAnswer>();
  private readonly inFlight = new Set<string>();
  private delivery: EventDelivery | null = null;

  private constructor(
    private readonly server: Server,
    private readonly db: Database,
    private readonly ledger: SimulatedLedger,
    private readonly engine: SimulatedStripe,
    readonly secretKey: string,
  ) {}

  /**
   * `settleRefundsAfterMs`: a refund reaches its later state (pending → succeeded, succeeded →
   * failed for `pm_card_refundFail`) when retrieved this long after its creation; by default only
   * when the test calls `settleRefunds()`. Unknown `pm_` ids are 404, as at Stripe.
   * `authorizationValiditySeconds`: the `capture_before` of a manual-capture charge, after its creation (7 days by default).
   */
  static async start(
    options: { secretKey?: string; settleRefundsAfterMs?: number; authorizationValiditySeconds?: number } = {},
  ): Promise<StripeTestServer> {
    const db = await openDatabase({ dataDir: 'memory://' });
    await migrate(db);
    const server = createServer();
    const ledger = new SimulatedLedger(db);
    const engine = new SimulatedStripe(ledger, {
      settleRefundsAfterMs: options.settleRefundsAfterMs ?? null,
      ...(options.authorizationValiditySeconds !== undefined ? { authorizationValiditySeconds: options.authorizationValiditySeconds } : {}),
    });
    const instance = new StripeTestServer(server, db, ledger, engine, options.secretKey ?? 'sk_test_stripeTestServer');
    // A failure of the server itself cuts the connection, which the SDK reports as a connection error.
    server.on('request', (req, res) => void instance.serve(req, res).catch(() => res.destroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  /** What STRIPE_API_BASE should be set to. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next matching requests are answered `status` (500, 503, 429...) without being processed. */
  answerNext(status: StatusFault['status'], target: FaultTarget, headers: Record<string, string> = {}): void {
    this.faults.arm({ kind: 'status', status, headers }, target);
  }

  /**
   * The next matching requests begin executing (and make their object when `processed`), then fail
   * with a 500 that is stored under their Idempotency-Key and replayed for it from then on.
   */
  failAndStore(target: FaultTarget, options: { processed: boolean }): void {
    this.faults.arm({ kind: 'stored_failure', processed: options.processed }, target);
  }

  /** Stripe "some time later": pending refunds of pm_card_pendingRefund succeed, refunds of pm_card_refundFail fail. */
  settleRefunds(): Promise<StripeLikeRefund[]> {
    return this.engine.settleRefunds();
  }

  /** The Event objects Stripe would have sent, oldest first (delivered only after `sendEventsTo`). */
  async events(): Promise<StripeLikeEvent[]> {
    return (await this.engine.events()).map((entry) => entry.event);
  }

  /**
   * From now on, POSTs every event (those kept so far first) to `url`, signed with `secret` as
   * Stripe signs them, after the write that made it; one the endpoint does not take (2xx) is sent again later.
   */
  sendEventsTo(url: string, secret: string): void {
    if (this.delivery) throw new Error('the test server already sends its events');
    this.delivery = new EventDelivery(this.ledger, httpEventSink(() => url), () => secret);
    this.delivery.deliver();
  }

  /** Resolves once every event made so far has been sent (or given back after a failed send). */
  async eventsSent(): Promise<void> {
    await this.delivery?.idle();
  }

  /**
   * A refund made in Stripe's Dashboard: no idempotency key and none of the service's metadata, so
   * the service learns of it only from its events.
   */
  dashboardRefund(paymentIntentId: string, amount?: number): Promise<StripeLikeRefund> {
    return this.engine.createRefund({ payment_intent: paymentIntentId, ...(amount === undefined ? {} : { amount }), reason: 'requested_by_customer' });
  }

  /** What a customer's browser does with Stripe.js on a payment that requires action: passes (or fails) 3-D Secure. */
  completeAuthentication(paymentIntentId: string, passed = true): Promise<StripeLikePaymentIntent> {
    return this.engine.completeAuthentication(paymentIntentId, passed);
  }

  /** The next matching requests are processed, then their connection is destroyed without an answer. */
  dropAfterProcessing(target: FaultTarget): void {
    this.faults.arm({ kind: 'drop_after_processing' }, target);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The objects of one kind the server holds, oldest first: what "Stripe" really did. */
  async objects<T = Record<string, unknown>>(type: 'customer' | 'payment_method' | 'payment_intent' | 'refund'): Promise<T[]> {
    const { rows } = await this.db.query<{ data: T }>('SELECT data FROM simulated_processor_objects WHERE type = $1 ORDER BY seq', [type]);
    return rows.map((row) => row.data);
  }

  /** The recorded requests of one operation, e.g. `payment_intents.create`. */
  requestsFor(operation: string): RecordedRequest[] {
    return this.requests.filter((r) => r.operation === operation);
  }

  async close(): Promise<void> {
    await this.delivery?.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.db.close();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stripe.test');
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    const params = method === 'GET' || method === 'DELETE' ? parseForm(url.search.slice(1)) : parseForm(body);
    const idempotencyKey = header(req, 'idempotency-key');
    const found = findRoute(method, url.pathname);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      operation: found?.route.operation ?? null,
      params,
      idempotencyKey,
      stripeVersion: header(req, 'stripe-version'),
      status: 0,
      replayed: false,
    };
    this.requests.push(record);

    const answer = await this.answer(req, method, url.pathname, params, idempotencyKey, found);
    record.replayed = answer.replayed === true;
    if (this.faults.take('drop_after_processing', method, url.pathname)) {
      record.status = 'dropped';
      res.socket?.destroy();
      return;
    }
    record.status = answer.status;
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      'request-id': stripeLikeId('req', 14),
      'stripe-version': record.stripeVersion ?? '',
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      ...(answer.replayed ? { 'idempotent-replayed': 'true' } : {}),
      ...answer.headers,
    });
    res.end(answer.body);
  }

  private async answer(
    req: IncomingMessage,
    method: string,
    path: string,
    params: Record<string, unknown>,
    idempotencyKey: string | null,
    found: ReturnType<typeof findRoute>,
  ): Promise<Answer> {
    const denied = this.authenticate(header(req, 'authorization'));
    if (denied) return denied;
    const fault = this.faults.take('status', method, path);
    if (fault) return { status: fault.status, body: errorBody(faultBody(fault.status)), headers: fault.headers };
    if (!found) {
      return error(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });
    }
    const stored = (): Promise<Answer> | null => {
      const failure = this.faults.take('stored_failure', method, path);
      if (!failure) return null;
      return (failure.processed ? this.run(() => found.route.handle(this.engine, params, found.ids)) : Promise.resolve(null)).then(() =>
        error(500, faultBody(500)),
      );
    };
    const run = () => stored() ?? this.run(() => found.route.handle(this.engine, params, found.ids));
    // Stripe keys only POSTs; a key on a GET is ignored.
    if (method !== 'POST' || idempotencyKey === null) return run();
    if (idempotencyKey.length > 255) {
      return error(400, { type: 'invalid_request_error', message: `Invalid Idempotency-Key: it must be at most 255 characters long (got ${idempotencyKey.length}).` });
    }

    const fingerprint = `${method} ${path} ${canonicalJson(params)}`;
    const earlier = this.answers.get(idempotencyKey);
    if (earlier) {
      if (earlier.fingerprint === fingerprint) return { status: earlier.status, body: earlier.body, replayed: true };
      return error(400, {
        type: 'idempotency_error',
        message:
          'Keys for idempotent requests can only be used with the same parameters they were first used with. ' +
          `Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
      });
    }
    if (this.inFlight.has(idempotencyKey)) {
      return error(409, {
        type: 'idempotency_error',
        code: 'idempotency_key_in_use',
        message:
          'There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, ' +
          `and the other request is still going through): ${idempotencyKey}. Please try again later.`,
      });
    }
    this.inFlight.add(idempotencyKey);
    try {
      const answer = await run();
      this.answers.set(idempotencyKey, { fingerprint, status: answer.status, body: answer.body });
      return answer;
    } finally {
      this.inFlight.delete(idempotencyKey);
    }
  }

  private async run(fn: () => Promise<unknown>): Promise<Answer> {
    try {
      return { status: 200, body: jsonBody(await fn()) };
    } catch (e) {
      if (e instanceof WireError) return error(e.status, e.error);
      return error(500, { type: 'api_error', message: `The test server failed: ${(e as Error).message}` });
    }
  }

  /** Bearer auth as Stripe does it; the key is shown masked, never whole. */
  private authenticate(authorization: string | null): Answer | null {
    if (!authorization) {
      return error(401, {
        type: 'invalid_request_error',
        message:
          'You did not provide an API key. You need to provide your API key in the Authorization header, ' +
          'using Bearer auth (e.g. \'Authorization: Bearer YOUR_SECRET_KEY\').',
      });
    }
    const key = authorization.replace(/^Bearer\s+/i, '');
    if (key === this.secretKey) return null;
    return error(401, { type: 'invalid_request_error', message: `Invalid API Key provided: ${maskKey(key)}` });
  }
}

function error(status: number, body: WireError['error']): Answer {
  return { status, body: errorBody(body) };
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}

function maskKey(key: string): string {
  const prefix = /^[a-z]{2}_(test|live)_/.exec(key)?.[0] ?? '';
  return `${prefix}${'*'.repeat(Math.max(0, key.length - prefix.length - 4))}${key.slice(-4)}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
