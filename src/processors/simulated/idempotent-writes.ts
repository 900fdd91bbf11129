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
 * How a write reaches the ledger: `transaction`, its reads locked and its writes in one transaction
 * with the key; `at-once`, for a write that only adds objects after reads that need no lock (an
 * intent's creation), its reads unlocked and its writes sent with the key in one statement
 * (SimulatedLedger.writeAtOnce). Either way all of a write or none of it is kept.
 */
export type WriteMode = 'transaction' | 'at-once';

/**
 * Runs a write under Stripe's idempotency rules. The outcome, a decline included, is stored with
 * the key in the same commit as the write, so a replay answers exactly what the first call did;
 * the same key with other parameters is an `idempotency_error`, a key over 255 characters refused.
 */
export async function writeOnce<T>(
  ledger: SimulatedLedger,
  operation: string,
  params: unknown,
  idempotencyKey: string | undefined,
  fn: (tx: LedgerTransaction) => Promise<Outcome<T>>,
  mode: WriteMode = 'transaction',
): Promise<T> {
  if (idempotencyKey !== undefined && idempotencyKey.length > MAX_KEY_LENGTH) {
    const message = `Invalid Idempotency-Key: it must be at most ${MAX_KEY_LENGTH} characters long (got ${idempotencyKey.length}).`;
    return unwrap<T>({ ok: false, statusCode: 400, error: { type: 'invalid_request_error', message } });
  }
  const fingerprint = () => createHash('sha256').update(`${operation}\n${canonicalJson(params)}`).digest('hex');
  if (mode === 'at-once') {
    const written = await ledger.writeAtOnce(idempotencyKey === undefined ? null : { key: idempotencyKey, fingerprint: fingerprint() }, fn);
    return unwrap(written.kind === 'mismatch' ? mismatched<T>(idempotencyKey!) : written.response);
  }
  const outcome = await ledger.transaction(async (tx): Promise<Outcome<T>> => {
    if (idempotencyKey === undefined) return fn(tx);
    const claim = await tx.claimIdempotencyKey<Outcome<T> | null>(idempotencyKey, fingerprint(), null);
    if (claim.kind === 'mismatch') return mismatched(idempotencyKey);
    if (claim.kind === 'replay' && claim.response) return claim.response;
    const result = await fn(tx);
    await tx.saveIdempotencyResponse(idempotencyKey, result);
    return result;
  });
  return unwrap(outcome);
}

/** Stripe's answer to a key sent again with other parameters. */
function mismatched<T>(idempotencyKey: string): Outcome<T> {
  return {
    ok: false,
    statusCode: 400,
    error: {
      type: 'idempotency_error',
      message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
    },
  };
}

/** One page of a newest-first list: `limit` objects after `starting_after`, and whether more follow. */
export function page<T extends { id: string }>(all: T[], params: { limit?: number | undefined; starting_after?: string | undefined }) {
  const start = params.starting_after === undefined ? 0 : all.findIndex((o) => o.id === params.starting_after) + 1;
  const limit = params.limit ?? 10;
  const data = all.slice(start, start + limit);
  return { object: 'list' as const, data, has_more: start + limit < all.length };
}
