import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackPeer } from './loopback-peer.js';

/** One call the stub received. */
export interface LocationCall {
  body: unknown;
  authorization: string | undefined;
  traceparent: string | string[] | undefined;
}

/** How the stub answers the next calls: as the Location Service, or broken in one way. */
export type LocationBehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'malformed' }
  /** A JSON answer of this body, whatever was asked. */
  | { kind: 'body'; body: unknown };

/**
 * A real HTTP Location Service on loopback: `POST /location/matrix {fromAddress, toAddress}`
 * answering `{from, to, distanceKm, durationMinutes: "<string>"}` for the routes it was given
 * (`route(from, to, km)`), and 404 for others. It checks a bearer token is sent, records every call,
 * and can refuse connections (`down()`), answer errors, be slow or answer nonsense.
 */
export class LocationServiceStub extends LoopbackPeer {
  readonly calls: LocationCall[] = [];
  behaviour: LocationBehaviour = { kind: 'ok' };
  private readonly routes = new Map<string, { distanceKm: number; durationMinutes: string }>();

  private constructor() {
    super();
  }

  static async start(): Promise<LocationServiceStub> {
    const stub = new LocationServiceStub();
    await stub.listen(0);
    return stub;
  }

  /** The base URL, as LOCATION_SERVICE_URL takes it. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/location`;
  }

  route(fromAddress: string, toAddress: string, distanceKm: number, durationMinutes = '12'): void {
    this.routes.set(`${fromAddress}|${toAddress}`, { distanceKm, durationMinutes });
  }

  protected async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      // Recorded as null; answered 400 below.
    }
    this.calls.push({ body, authorization: req.headers.authorization, traceparent: req.headers.traceparent });
    const send = (status: number, payload: unknown) => {
      if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    const behaviour = this.behaviour;
    if (behaviour.kind === 'status') return send(behaviour.status, { success: false, message: 'stub failure' });
    if (behaviour.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"distanceKm": 3.2,');
      return;
    }
    if (behaviour.kind === 'body') return send(200, behaviour.body);
    if (behaviour.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs));
    if (req.method !== 'POST' || req.url !== '/location/matrix') return send(404, { success: false, message: 'not found' });
    if (!req.headers.authorization?.startsWith('Bearer ')) return send(401, { success: false, message: 'token required' });
    const { fromAddress, toAddress } = (body ?? {}) as { fromAddress?: string; toAddress?: string };
    const route = this.routes.get(`${fromAddress}|${toAddress}`);
    if (!route) return send(404, { success: false, message: 'no route between these addresses' });
    send(200, {
      from: { address: fromAddress, lat: 45.5, lng: -73.6 },
      to: { address: toAddress, lat: 45.52, lng: -73.58 },
      distanceKm: route.distanceKm,
      durationMinutes: route.durationMinutes,
    });
  }
}
