import { webcrypto } from 'node:crypto';
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config.js';
import { AppError } from '../errors.js';
import { principalFromClaims, type Principal } from './principal.js';

/** Checks a bearer token and answers who it speaks for; throws AppError `unauthorized` (or `service_unavailable`). */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/**
 * The algorithms are fixed per key kind, and the token's header only chooses between the two
 * kinds: an HS256 token is only ever checked against the shared secret, an RS256/ES256 token only
 * against the JWKS, so `alg: none` and an HS256 token signed with an RSA public key never verify.
 */
const USER_ALGORITHMS = ['HS256'];
const SERVICE_ALGORITHMS = ['RS256', 'ES256'];
const JWKS_TIMEOUT_MS = 5000;
/** After the key set could not be fetched, tokens that need it are answered 503 this long without fetching again. */
const JWKS_FAILURE_BACKOFF_MS = 5000;

/**
 * The longest a token may still be valid for. The platform's tokens live 30 minutes (users) and an
 * hour (services); a token minted for days is a leaked credential waiting to happen, and there is
 * no revocation, so it is refused.
 */
export const MAX_TOKEN_LIFETIME_SECONDS = 24 * 3600;

/** The JWKS endpoint did not answer usable keys: our problem, not the caller's token. */
class SigningKeysUnavailable extends Error {}

/** One kind of token: which algorithms its header may name, where its key comes from, what it must claim. */
interface TokenKind {
  kind: Principal['kind'];
  algorithms: string[];
  key: JWTVerifyGetKey;
  issuer: string[];
  audience: string[];
}

export function createTokenVerifier(auth: AuthConfig): TokenVerifier {
  const { userTokens, serviceTokens, clockToleranceSeconds } = auth;
  const kinds: TokenKind[] = [];
  if (userTokens.secret) {
    // Imported once: handing jose the raw bytes would import them again for every token checked.
    const secret = webcrypto.subtle.importKey('raw', new TextEncoder().encode(userTokens.secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    kinds.push({ kind: 'user', algorithms: USER_ALGORITHMS, key: () => secret, issuer: userTokens.issuer, audience: userTokens.audience });
  }
  if (serviceTokens) {
    const key = signingKeysFrom(serviceTokens.jwksUrl, serviceTokens.refreshCooldownSeconds);
    kinds.push({ kind: 'service', algorithms: SERVICE_ALGORITHMS, key, issuer: serviceTokens.issuer, audience: serviceTokens.audience });
  }

  const verified = new VerifiedTokens(clockToleranceSeconds);
  return {
    async verify(token) {
      const known = verified.get(token);
      if (known) return principalFromClaims(known, 'user');
      const alg = algorithmOf(token);
      const kind = kinds.find((candidate) => candidate.algorithms.includes(alg));
      if (!kind) throw rejected("The bearer token's signing algorithm is not accepted", 'alg_not_accepted');
      try {
        const { payload } = await jwtVerify(token, kind.key, {
          algorithms: kind.algorithms,
          issuer: kind.issuer,
          audience: kind.audience,
          clockTolerance: clockToleranceSeconds,
          requiredClaims: ['exp'],
        });
        if (payload.exp! - Math.floor(Date.now() / 1000) > MAX_TOKEN_LIFETIME_SECONDS + clockToleranceSeconds) {
          throw rejected(`The bearer token is valid for too long: at most ${MAX_TOKEN_LIFETIME_SECONDS / 3600} hours are accepted`, 'lifetime');
        }
        if (kind.kind === 'user') verified.remember(token, payload);
        return principalFromClaims(payload, kind.kind);
      } catch (error) {
        throw translate(error);
      }
    },
  };
}

/**
 * User tokens (HS256, the shared secret) that verified, until they expire: a client sends the same
 * token with each request for its lifetime, and checking the signature again (WebCrypto's HMAC) was
 * the largest cost of a read. The token is the key, signature included, so only the very token that
 * verified is found; its claims other than the expiry (issuer, audience, lifetime, not-before) only
 * hold better with time. Service tokens are not kept: their key set may drop a key.
 */
class VerifiedTokens {
  private static readonly MAX_ENTRIES = 10_000;
  private readonly tokens = new Map<string, JWTPayload>();

  constructor(private readonly clockToleranceSeconds: number) {}

  get(token: string): JWTPayload | null {
    const payload = this.tokens.get(token);
    if (!payload) return null;
    // jose's rule: expired once exp <= now - tolerance; then the full check answers why.
    if (payload.exp! <= Math.floor(Date.now() / 1000) - this.clockToleranceSeconds) {
      this.tokens.delete(token);
      return null;
    }
    return payload;
  }

  remember(token: string, payload: JWTPayload): void {
    if (this.tokens.size >= VerifiedTokens.MAX_ENTRIES) this.tokens.delete(this.tokens.keys().next().value!);
    this.tokens.set(token, payload);
  }
}

/**
 * jose caches the key set and fetches it again when a token names a `kid` it does not hold
 * (at most once per cooldown, so random kids cannot hammer the Auth Service).
 */
function signingKeysFrom(url: string, cooldownSeconds: number): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url), { cooldownDuration: cooldownSeconds * 1000, timeoutDuration: JWKS_TIMEOUT_MS });
  // While the key set cannot be fetched, requests do not each try again: anyone can send a token.
  let failedAt = -Infinity;
  return async (header, token) => {
    if (Date.now() - failedAt < JWKS_FAILURE_BACKOFF_MS) throw new SigningKeysUnavailable('signing keys unavailable (backing off)');
    try {
      return await remote(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      failedAt = Date.now();
      throw new SigningKeysUnavailable('signing keys unavailable', { cause: error });
    }
  };
}

function algorithmOf(token: string): string {
  try {
    const { alg } = decodeProtectedHeader(token);
    if (typeof alg === 'string') return alg;
  } catch {
    // Not a JWS at all; answered below like any malformed token.
  }
  throw rejected('The bearer token is malformed', 'malformed');
}

/** A refusal: the message goes to the caller, the reason (the cause's message) to the log; never the token. */
function rejected(message: string, reason: string, cause?: unknown): AppError {
  return new AppError('unauthorized', message, undefined, { cause: new Error(reason, cause === undefined ? undefined : { cause }) });
}

const CLAIM_MESSAGES: Readonly<Record<string, string>> = {
  nbf: 'The bearer token is not valid yet',
  iss: "The bearer token's issuer is not accepted",
  aud: "The bearer token's audience is not accepted",
  exp: 'The bearer token has no expiry (exp); tokens without one are refused',
};

function translate(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof SigningKeysUnavailable) {
    return new AppError('service_unavailable', 'The signing keys for service tokens cannot be fetched; retry shortly', undefined, { cause: error.cause });
  }
  if (error instanceof errors.JWTExpired) return rejected('The bearer token has expired', error.code, error);
  if (error instanceof errors.JWTClaimValidationFailed) {
    return rejected(CLAIM_MESSAGES[error.claim] ?? `The bearer token's ${error.claim} claim is not accepted`, `${error.code}:${error.claim}`, error);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return rejected("The bearer token's signature does not verify", error.code, error);
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return rejected("The bearer token's signing key (kid) is not known", error.code, error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return rejected("The bearer token's signing algorithm is not accepted", error.code, error);
  if (error instanceof errors.JOSEError) return rejected('The bearer token is not valid', error.code, error);
  return rejected('The bearer token is malformed', 'malformed', error);
}
