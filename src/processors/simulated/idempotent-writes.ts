import { createHash } from 'node:crypto';
import type { LedgerTransaction, SimulatedLedger } from '../../store/simulated-ledger.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { unwrap, type Outcome } from './outcomes.js';

/** Stripe's limit on an Idempotency-Key. */
const MAX_KEY_LENGTH = 255;

/** Runs a read in one ledger transaction: its value, or Stripe's error thrown. */
export async function readOnce<T>(ledger: SimulatedLedger, fn: (tx: LedgerTransaction) => Promise<Outcome<T>>): Promise<T> {
  return unwrap(await ledger.transaction(fn));
}

/**
 * Runs a write under Stripe's idempotency rules. The outcome, a decline included, is stored with
 * the key in the same transaction as the write, so a replay answers exactly what the first call did;
 * the same key with other parameters is an `idempotency_error`, a key over 255 characters refused.
 */
export async function writeOnce<T>(
  ledger: SimulatedLedger,
  operation: string,
  params: unknown,
  idempotencyKey: string | undefined,
  fn: (tx: LedgerTransaction) => Promise<Outcome<T>>,
): Promise<T> {
  const outcome = await ledger.transaction(async (tx): Promise<Outcome<T>> => {
    if (idempotencyKey === undefined) return fn(tx);
    if (idempotencyKey.length > MAX_KEY_LENGTH) {
      const message = `Invalid Idempotency-Key: it must be at most ${MAX_KEY_LENGTH} characters long (got ${idempotencyKey.length}).`;
      return { ok: false, statusCode: 400, error: { type: 'invalid_request_error', message } };
    }
    const fingerprint = createHash('sha256').update(`${operation}\n${canonicalJson(params)}`).digest('hex');
    const claim = await tx.claimIdempotencyKey<Outcome<T> | null>(idempotencyKey, fingerprint, null);
    if (claim.kind === 'mismatch') {
      return {
        ok: false,
        statusCode: 400,
        error: {
          type: 'idempotency_error',
          message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
        },
      };
    }
    if (claim.kind === 'replay' && claim.response) return claim.response;
    const result = await fn(tx);
    await tx.saveIdempotencyResponse(idempotencyKey, result);
    return result;
  });
  return unwrap(outcome);
}

/** One page of a newest-first list: `limit` objects after `starting_after`, and whether more follow. */
export function page<T extends { id: string }>(all: T[], params: { limit?: number | undefined; starting_after?: string | undefined }) {
  const start = params.starting_after === undefined ? 0 : all.findIndex((o) => o.id === params.starting_after) + 1;
  const limit = params.limit ?? 10;
  const data = all.slice(start, start + limit);
  return { object: 'list' as const, data, has_more: start + limit < all.length };
}
