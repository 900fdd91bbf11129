import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

/**
 * Tokens shaped like the platform's Auth Service issues them, minted with keys made at test time
 * (nothing secret lives in the repository). Minted with jose directly, not with the service's code.
 */
export const TEST_JWT_SECRET = randomBytes(32).toString('base64url');
export const ISSUER = 'CommuneDrop';
export const AUDIENCE = 'CommuneDropAudience';

/** The claim URIs of the platform's .NET Auth Service. */
export const NAME_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
export const NAME_IDENTIFIER_CLAIM = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';
export const ROLE_CLAIM = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';

export interface SignOptions {
  issuer?: string;
  audience?: string;
  /** Seconds from now; null: no exp claim at all. */
  expiresIn?: number | null;
  /** Seconds from now. */
  notBefore?: number;
  header?: Record<string, unknown>;
}

function builder(claims: JWTPayload, options: SignOptions): SignJWT {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setIssuedAt(now)
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setNotBefore(now + (options.notBefore ?? 0));
  const expiresIn = options.expiresIn === undefined ? 1800 : options.expiresIn;
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  return jwt;
}

/** An HS256 token; by default signed with the secret `startTestApp` configures. */
export function signHs256(claims: JWTPayload, options: SignOptions & { secret?: string | Uint8Array } = {}): Promise<string> {
  const secret = typeof options.secret === 'string' || options.secret === undefined ? new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET) : options.secret;
  return builder(claims, options).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...options.header }).sign(secret);
}

/**
 * A platform user token: the email and id only in the .NET claim URIs, no sub, email or roles.
 * The user id is the account's, one per address unless `userId` says otherwise (an address that
 * changed hands: the same email, another user).
 */
export function platformUserToken(email: string, options: SignOptions & { secret?: string; userId?: string } = {}): Promise<string> {
  const userId = options.userId ?? `user-${createHash('sha256').update(email.toLowerCase()).digest('hex').slice(0, 16)}`;
  return signHs256({ [NAME_CLAIM]: email, [NAME_IDENTIFIER_CLAIM]: userId, jti: randomUUID() }, options);
}

/** An administrator's user token, with the standard claims the contracts say must work too. */
export function adminToken(options: SignOptions = {}): Promise<string> {
  return signHs256({ sub: 'admin-1', email: 'admin@example.com', role: 'admin' }, options);
}

/** `alg: none`: a token anyone can write. */
export function unsignedToken(claims: JWTPayload): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ iss: ISSUER, aud: AUDIENCE, exp: now + 600, ...claims })}.`;
}

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function newSigningKey(alg: SigningKey['alg'] = 'RS256', kid = `key-${randomBytes(4).toString('hex')}`): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** A client-credentials token as the Auth Service's token endpoint answers it (`scope` a string, or a JSON array as some issuers write it). */
export function serviceToken(key: SigningKey, clientId: string, scope: string | string[], options: SignOptions = {}): Promise<string> {
  return builder({ client_id: clientId, scope, jti: randomUUID() }, options)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header })
    .sign(key.privateKey);
}

/** The Auth Service's JWKS endpoint, served over loopback; keys can be published and withdrawn. */
export class JwksServer {
  private readonly keys = new Map<string, JWK>();
  fetches = 0;
  /** When set, every fetch answers this HTTP status instead of the keys, as an Auth Service in trouble would. */
  failWith: number | null = null;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<JwksServer> {
    let instance: JwksServer | undefined;
    const server = createServer((request, response) => {
      instance!.fetches += 1;
      if (instance!.failWith !== null) {
        response.writeHead(instance!.failWith).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [...instance!.keys.values()] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    instance = new JwksServer(server, `http://127.0.0.1:${port}/auth/.well-known/openid-configuration/jwks`);
    return instance;
  }

  publish(key: SigningKey): void {
    this.keys.set(key.kid, key.publicJwk);
  }

  withdraw(kid: string): void {
    this.keys.delete(kid);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
