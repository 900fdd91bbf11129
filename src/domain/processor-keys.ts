import { createHash } from 'node:crypto';

/** Stripe refuses an Idempotency-Key longer than this. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** A part longer than this is replaced by its hash: four parts and a prefix then stay far below the limit. */
const MAX_PART_LENGTH = 48;

/**
 * The idempotency key of a processor call: `operation:part:part...`, every part from our own rows
 * or the processor's ids. Ids as Stripe makes them (27 characters) and our uuids are kept as they
 * are, readable in Stripe's request log; a longer part (Stripe allows ids of up to 255 characters)
 * becomes `~` and its SHA-256, so the key never passes Stripe's limit and stays unique.
 */
export function processorKey(operation: string, ...parts: Array<string | number>): string {
  const key = [operation, ...parts.map((part) => bounded(String(part)))].join(':');
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) throw new Error(`idempotency key of ${key.length} characters for ${operation}`);
  return key;
}

function bounded(part: string): string {
  if (part.length <= MAX_PART_LENGTH) return part;
  return `~${createHash('sha256').update(part).digest('base64url')}`;
}
