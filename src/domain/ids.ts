import { createHash, randomUUID } from 'node:crypto';

/**
 * The id of a row a client's request creates. With an idempotency key the id is derived from it
 * (a name-based UUID), so a retry of the same request, even after a crash lost every other trace of
 * the first attempt, finds the row the first attempt wrote instead of making a second one.
 */
export function rowIdFor(requestKey: string | undefined): string {
  if (requestKey === undefined) return randomUUID();
  const hash = createHash('sha256').update(requestKey).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5 layout (name-based), as RFC 9562 describes
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** True for a UUID in its text form, the shape of our own row ids. */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
