import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newSigningKey, serviceToken, type SigningKey } from '../helpers/tokens.js';

/**
 * The Auth Service's client-credentials endpoint (`POST /auth/connect/token`) on loopback: checks
 * the client id and secret, answers an RS256 access token with `expires_in`, and counts requests.
 */
export class AuthTokenEndpoint {
  requests = 0;
  /** When set, every request answers this HTTP status. */
  failWith: number | null = null;
  /** Lifetime of the tokens it issues, in seconds. */
  lifetimeSeconds = 3600;
  readonly issued: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly key: SigningKey,
    readonly clientId: string,
    readonly clientSecret: string,
  ) {}

  static async start(clientId = 'microservice_payment_client', clientSecret = 'a-test-client-secret'): Promise<AuthTokenEndpoint> {
    const key = await newSigningKey('RS256');
    let instance: AuthTokenEndpoint | undefined;
    const server = createServer(async (req, res) => {
      const self = instance!;
      self.requests += 1;
      let text = '';
      for await (const chunk of req) text += chunk;
      const form = new URLSearchParams(text);
      const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (self.failWith !== null) return send(self.failWith, { error: 'server_error' });
      if (req.method !== 'POST' || req.url !== '/auth/connect/token' || form.get('grant_type') !== 'client_credentials') {
        return send(400, { error: 'unsupported_grant_type' });
      }
      if (form.get('client_id') !== self.clientId || form.get('client_secret') !== self.clientSecret) return send(401, { error: 'invalid_client' });
      const token = await serviceToken(self.key, self.clientId, form.get('scope') ?? '', { expiresIn: self.lifetimeSeconds });
      self.issued.push(token);
      send(200, { access_token: token, token_type: 'Bearer', expires_in: self.lifetimeSeconds, scope: form.get('scope') });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    instance = new AuthTokenEndpoint(server, `http://127.0.0.1:${port}/auth/connect/token`, key, clientId, clientSecret);
    return instance;
  }

  /** The variables that point the service at this endpoint. */
  env(): Record<string, string> {
    return { AUTH_TOKEN_URL: this.url, AUTH_CLIENT_ID: this.clientId, AUTH_CLIENT_SECRET: this.clientSecret };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
