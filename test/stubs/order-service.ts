import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackPeer } from './loopback-peer.js';
import { decodeJwt } from 'jose';

/** One call the stub received. */
export interface OrderServiceCall {
  orderId: unknown;
  status: unknown;
  body: unknown;
  authorization: string | undefined;
  /** The W3C trace context the call carried. */
  traceparent: string | undefined;
  /** What the stub answered. */
  answer: number;
  /** True when the answer reached the caller: a call whose caller hung up first did not happen. */
  answered: boolean;
  at: number;
}

/** How the stub behaves for the next calls: as the Order Service, or broken in one way. */
export type OrderServiceBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'slow'; delayMs: number }
  /** Each call fails with 500 with this probability, else is answered as by the Order Service. */
  | { kind: 'flaky'; failureRate: number };

/** The Order Service's accepted statuses (anything else is 400). */
const STATUSES = new Set(['ORDER PLACED', 'ORDER CONFIRMED', 'PAYMENT RECEIVED', 'AWAITING PICKUP', 'PICKED UP', 'OUT FOR DELIVERY', 'DELIVERED', 'CANCELLED']);

/**
 * A real HTTP Order Service on loopback: `PUT /order/updateStatus`, checking what the real one
 * checks (a bearer token with an unexpired exp and order.read or order.write in its scope, a known
 * status), recording every call. It can refuse connections (`down()`), answer errors, be slow or
 * flaky, and be scripted for the next calls (`next`).
 */
export class OrderServiceStub extends LoopbackPeer {
  readonly calls: OrderServiceCall[] = [];
  private behaviour: OrderServiceBehaviour = { kind: 'ok' };
  private readonly script: OrderServiceBehaviour[] = [];
  /** Tokens the stub refuses with 401 (revoked), whatever their claims. */
  readonly revoked = new Set<string>();

  private constructor() {
    super();
  }

  static async start(): Promise<OrderServiceStub> {
    const stub = new OrderServiceStub();
    await stub.listen(0);
    return stub;
  }

  /** The base URL, as ORDER_SERVICE_URL takes it. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/order`;
  }

  /** From now on, every call is handled so. */
  set(behaviour: OrderServiceBehaviour): void {
    this.behaviour = behaviour;
    this.script.length = 0;
  }

  /** The next calls are handled so, one each, then the current behaviour again. */
  next(...behaviours: OrderServiceBehaviour[]): void {
    this.script.push(...behaviours);
  }

  /** The calls that were answered 2xx and reached their caller: the notifications the Order Service acted on. */
  received(): OrderServiceCall[] {
    return this.calls.filter((call) => call.answered && call.answer >= 200 && call.answer < 300);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: any = null;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      // Answered 400 below.
    }
    const behaviour = this.script.shift() ?? this.behaviour;
    const call: OrderServiceCall = {
      orderId: body?.orderId, status: body?.status, body, authorization: req.headers.authorization,
      traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined, answer: 0, answered: false, at: Date.now(),
    };
    this.calls.push(call);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      call.answer = status;
      // Finished means handed to the caller's connection; a caller that hung up first never gets it.
      res.on('finish', () => {
        call.answered = true;
      });
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    if (behaviour.kind === 'slow') {
      await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
      if (res.destroyed || req.socket.destroyed) return;
    }
    if (behaviour.kind === 'status') {
      return answer(behaviour.status, { success: false, message: `stubbed ${behaviour.status}`, data: null }, behaviour.retryAfter ? { 'retry-after': behaviour.retryAfter } : {});
    }
    if (behaviour.kind === 'flaky' && Math.random() < behaviour.failureRate) {
      return answer(500, { success: false, message: 'stubbed random failure', data: null });
    }
    if (req.method !== 'PUT' || req.url !== '/order/updateStatus') return answer(404, { success: false, message: 'Not found', data: null });
    const refusal = this.checkToken(req.headers.authorization);
    if (refusal) return answer(refusal.status, { success: false, message: refusal.message, data: null });
    if (typeof body?.orderId !== 'string' || !STATUSES.has(body?.status)) {
      return answer(400, { success: false, message: 'Invalid order status', data: null });
    }
    answer(200, { success: true, message: 'Order status updated successfully.', data: null });
  }

  /** As the Order Service: exp checked, scope order.read or order.write (a string or an array). Signatures are the Auth Service's concern here. */
  private checkToken(authorization: string | undefined): { status: number; message: string } | null {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    if (!token) return { status: 401, message: 'Unauthorized' };
    if (this.revoked.has(token)) return { status: 401, message: 'Token revoked' };
    let claims;
    try {
      claims = decodeJwt(token);
    } catch {
      return { status: 401, message: 'Unauthorized' };
    }
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return { status: 401, message: 'Token expired' };
    const scope = claims['scope'];
    const scopes = Array.isArray(scope) ? scope : typeof scope === 'string' ? scope.split(' ') : [];
    if (!scopes.includes('order.read') && !scopes.includes('order.write')) return { status: 403, message: 'Forbidden' };
    return null;
  }
}
