import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A peer service on 127.0.0.1 that a test can take down (connections refused, open ones cut) and
 * bring back on the same port, as a restarting service is. Subclasses answer the requests.
 */
export abstract class LoopbackPeer {
  private server: Server = createServer();
  private readonly sockets = new Set<Socket>();
  protected port = 0;

  protected abstract handle(req: IncomingMessage, res: ServerResponse): Promise<void>;

  /** Listens on a free port (the first time) or on the port it had. */
  protected async listen(port = this.port): Promise<void> {
    this.server.on('request', (req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Closes the port: connections are refused until `up()`. */
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
}
