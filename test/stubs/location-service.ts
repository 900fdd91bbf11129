import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
export class LocationServiceStub {
  readonly calls: LocationCall[] = [];
  behaviour: LocationBehaviour = { kind: 'ok' };
  private readonly routes = new Map<string, { distanceKm: number; durationMinutes: string }>();
  private readonly sockets = new Set<Socket>();
  private port = 0;

  private constructor(private server: Server) {}

  static async start(): Promise<LocationServiceStub> {
    const stub = new LocationServiceStub(createServer());
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

  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async up(): Promise<void> {
    this.server = createServer();
    await this.listen(this.port);
  }

  close(): Promise<void> {
    return this.down();
  }

  private async listen(port: number): Promise<void> {
    this.server.on('request', (req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
