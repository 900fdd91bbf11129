import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * A value derived from a secret for one purpose: whoever holds the secret can show it, and it
 * reveals nothing of the secret (so it may travel in a URL where the secret itself should not).
 */
export function deriveToken(purpose: string, secret: string): string {
  return createHash('sha256').update(`${purpose}\n${secret}`).digest('base64url').slice(0, 32);
}

/** Compares a token someone sent with the expected one in constant time. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
