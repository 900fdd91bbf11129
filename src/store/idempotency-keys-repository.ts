import { randomUUID } from 'node:crypto';
import { auditInsert, type NewAuditEntry } from './audit-log-repository.js';
import type { Database } from './database.js';

export type IdempotencyClaim =
  /**
   * This request runs the handler (a new key, or one a dead request left behind). `owner` marks
   * this claim; `seed` is the key's, kept across takeovers, for deriving the rows it creates.
   */
  | { kind: 'owner'; owner: string; seed: string }
  /** The key was first used with other parameters. */
  | { kind: 'mismatch' }
  /** The first request finished: replay its answer. */
  | { kind: 'completed'; status: number; body: string }
  /** The first request is still running. */
  | { kind: 'in_progress' };

interface KeyRow {
  fingerprint: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: string | null;
}

/** The Idempotency-Key store of the HTTP API. */
export class IdempotencyKeysRepository {
  constructor(private readonly db: Database) {}

  /**
   * Claims `key` for this request, or reports what became of its first use. An in-progress claim
   * whose lease has run out belongs to a request that died; it is taken over.
   */
  async claim(scope: string, key: string, fingerprint: string, leaseMs: number): Promise<IdempotencyClaim> {
    const owner = randomUUID();
    const claimed = await this.db.query<{ seed: string }>(
      `INSERT INTO idempotency_keys (scope, key, fingerprint, state, locked_until, owner)
       VALUES ($1, $2, $3, 'in_progress', now() + make_interval(secs => $4::double precision / 1000), $5)
       ON CONFLICT (scope, key) DO UPDATE SET locked_until = EXCLUDED.locked_until, owner = EXCLUDED.owner
       WHERE idempotency_keys.state = 'in_progress' AND idempotency_keys.locked_until < now()
         AND idempotency_keys.fingerprint = EXCLUDED.fingerprint
       RETURNING seed`,
      [scope, key, fingerprint, leaseMs, owner],
    );
    if (claimed.rows[0]) return { kind: 'owner', owner, seed: claimed.rows[0].seed };
    return (await this.look(scope, key, fingerprint)) ?? { kind: 'in_progress' };
  }

  /** What became of a key's first use; null if the key is unknown. */
  async look(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim | null> {
    const { rows } = await this.db.query<KeyRow>(
      'SELECT fingerprint, state, response_status, response_body FROM idempotency_keys WHERE scope = $1 AND key = $2',
      [scope, key],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (row.state === 'completed') return { kind: 'completed', status: row.response_status!, body: row.response_body ?? '' };
    return { kind: 'in_progress' };
  }

  /**
   * Stores the answer, if this claim still owns the key (a takeover makes a late finish a no-op),
   * and the request's audit row, if it has one, in the same statement.
   */
  async complete(scope: string, key: string, owner: string, status: number, body: string, audit?: NewAuditEntry): Promise<void> {
    const insert = audit ? auditInsert(audit, 6) : null;
    await this.db.query(
      `${insert ? `WITH audit AS (${insert.text}) ` : ''}UPDATE idempotency_keys SET state = 'completed', response_status = $4, response_body = $5, completed_at = now(), locked_until = NULL
       WHERE scope = $1 AND key = $2 AND owner = $3`,
      [scope, key, owner, status, body, ...(insert?.params ?? [])],
    );
  }

  /** Forgets keys first used more than `maxAgeMs` ago; answers how many. */
  async deleteOlderThan(maxAgeMs: number): Promise<number> {
    const { rowCount } = await this.db.query(
      `DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1::double precision / 1000)`,
      [maxAgeMs],
    );
    return rowCount;
  }
}
