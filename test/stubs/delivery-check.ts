import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The order status the delivery check (DELIVERY_CHECK_URL) reads, on loopback: `GET /order/{orderId}`
 * answers the Order Service's envelope `{success, data: {status}}`; an order it was not told of is
 * OUT FOR DELIVERY. `failWith` makes every call answer that HTTP status.
 */
export class DeliveryCheckStub {
  readonly statuses = new Map<string, string>();
  readonly calls: Array<{ orderId: string; authorization: string | undefined }> = [];
  failWith: number | null = null;

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<DeliveryCheckStub> {
    let instance: DeliveryCheckStub | undefined;
    const server = createServer((req, res) => {
      const self = instance!;
      const orderId = decodeURIComponent((req.url ?? '').replace(/^\/order\//, ''));
      self.calls.push({ orderId, authorization: req.headers.authorization });
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (self.failWith !== null) return send(self.failWith, { success: false, message: 'stub failure' });
      send(200, { success: true, data: { orderId, status: self.statuses.get(orderId) ?? 'OUT FOR DELIVERY' } });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    instance = new DeliveryCheckStub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/order`);
    return instance;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
