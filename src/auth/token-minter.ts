import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { ConfigError, type AuthConfig } from '../config.js';
import { MAX_TOKEN_LIFETIME_SECONDS } from './token-verifier.js';

/** What a minted user token says; at least an email, a role or a scope, or it would open nothing. */
export interface MintRequest {
  email?: string | undefined;
  subject?: string | undefined;
  roles?: string[] | undefined;
  /** Space-separated, as the Auth Service writes it. */
  scope?: string | undefined;
  ttlSeconds: number;
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
const MAX_TTL_SECONDS = MAX_TOKEN_LIFETIME_SECONDS;

/** `90`, `45s`, `30m`, `1h`, `7d` → seconds; anything else (or over 30 days) is refused with what to write. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * UNITS[match[2] || 's']! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds <= 0 || seconds > MAX_TTL_SECONDS) {
    throw new ConfigError(`--ttl must be a duration such as 90s, 30m, 1h or 1d, at most 1d (got ${JSON.stringify(text)})`);
  }
  return seconds;
}

/**
 * Signs a user token (HS256) with the configured secret, with the issuer and audience this
 * service accepts: for the development quickstart and for local tools, never for production
 * users (the Auth Service issues theirs).
 */
export async function mintUserToken(auth: AuthConfig, request: MintRequest): Promise<string> {
  const secret = auth.userTokens.secret;
  if (!secret) throw new ConfigError('Cannot mint user tokens: JWT_SECRET is not set (only JWKS_URL, whose private keys live in the Auth Service)');
  const roles = request.roles ?? [];
  const claims = {
    ...(request.email ? { email: request.email } : {}),
    ...(roles.length > 0 ? { role: roles.length === 1 ? roles[0] : roles } : {}),
    ...(request.scope ? { scope: request.scope } : {}),
  };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(request.subject ?? request.email ?? randomUUID())
    .setIssuer(auth.userTokens.issuer[0]!)
    .setAudience(auth.userTokens.audience[0]!)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + request.ttlSeconds)
    .setJti(randomUUID())
    .sign(new TextEncoder().encode(secret));
}
