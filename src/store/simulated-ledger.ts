import type { Database, Queryable } from './database.js';

export type LedgerObjectType = 'customer' | 'payment_method' | 'payment_intent' | 'refund';

export type IdempotencyClaim<R> = { kind: 'new' } | { kind: 'replay'; response: R } | { kind: 'mismatch' };

const LOCK_CLAUSES = { update: ' FOR UPDATE', share: ' FOR SHARE', none: '' } as const;

/** The simulated processor's storage, seen from inside one transaction. */
export class LedgerTransaction {
  /** Events appended in this transaction, so the ledger can tell its listeners once it commits. */
  appended = 0;

  constructor(private readonly tx: Queryable) {}

  /**
   * Reads an object and locks it until the transaction ends: `update` (the default) for an object
   * about to change, `share` for one that must not change meanwhile but that others may read alike
   * (a card being charged, by several payments at once), `none` for a look only.
   */
  async get<T>(id: string, type: LedgerObjectType, lock: 'update' | 'share' | 'none' = 'update'): Promise<T | null> {
    const { rows } = await this.tx.query<{ data: T }>(
      `SELECT data FROM simulated_processor_objects WHERE id = $1 AND type = $2${LOCK_CLAUSES[lock]}`,
      [id, type],
    );
    return rows[0]?.data ?? null;
  }

  async insert(object: { id: string }, type: LedgerObjectType, lookupKey: string | null): Promise<void> {
    await this.tx.query(
      'INSERT INTO simulated_processor_objects (id, type, lookup_key, data) VALUES ($1, $2, $3, $4)',
      [object.id, type, lookupKey, JSON.stringify(object)],
    );
  }

  async update(object: { id: string }, lookupKey: string | null): Promise<void> {
    await this.tx.query('UPDATE simulated_processor_objects SET data = $2, lookup_key = $3 WHERE id = $1', [
      object.id,
      JSON.stringify(object),
      lookupKey,
    ]);
  }

  /** Objects of one type under one lookup key, oldest first (newest first when asked, as Stripe lists). */
  async find<T>(type: LedgerObjectType, lookupKey: string, limit = 100, order: 'oldest' | 'newest' = 'oldest'): Promise<T[]> {
    const { rows } = await this.tx.query<{ data: T }>(
      `SELECT data FROM simulated_processor_objects WHERE type = $1 AND lookup_key = $2 ORDER BY seq ${order === 'newest' ? 'DESC' : ''} LIMIT $3`,
      [type, lookupKey, limit],
    );
    return rows.map((row) => row.data);
  }

  /** Objects of one type whose `status` is one of `statuses`, oldest first, locked until the transaction ends. */
  async findByStatus<T>(type: LedgerObjectType, statuses: readonly string[], limit = 1000): Promise<T[]> {
    const { rows } = await this.tx.query<{ data: T }>(
      `SELECT data FROM simulated_processor_objects WHERE type = $1 AND data->>'status' = ANY($2::text[])
       ORDER BY seq LIMIT $3 FOR UPDATE`,
      [type, [...statuses], limit],
    );
    return rows.map((row) => row.data);
  }

  /** Appends an event the processor would send; events are never changed. */
  async appendEvent(event: { id: string; type: string }): Promise<void> {
    await this.tx.query('INSERT INTO simulated_processor_events (id, type, data) VALUES ($1, $2, $3)', [
      event.id,
      event.type,
      JSON.stringify(event),
    ]);
    this.appended += 1;
  }

  /** The events after `afterSeq`, oldest first, each with its position. */
  async events<T>(afterSeq: number, limit: number): Promise<Array<{ seq: number; event: T }>> {
    const { rows } = await this.tx.query<{ seq: string; data: T }>(
      'SELECT seq, data FROM simulated_processor_events WHERE seq > $1 ORDER BY seq LIMIT $2',
      [afterSeq, limit],
    );
    return rows.map((row) => ({ seq: Number(row.seq), event: row.data }));
  }

  /**
   * Claims an idempotency key for this transaction. A concurrent claim of the same key waits on the
   * primary key until this transaction ends, then sees the stored response.
   */
  async claimIdempotencyKey<R>(key: string, fingerprint: string, pending: R): Promise<IdempotencyClaim<R>> {
    const inserted = await this.tx.query(
      `INSERT INTO simulated_processor_idempotency_keys (key, fingerprint, response) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, fingerprint, JSON.stringify(pending)],
    );
    if (inserted.rowCount === 1) return { kind: 'new' };
    const { rows } = await this.tx.query<{ fingerprint: string; response: R }>(
      'SELECT fingerprint, response FROM simulated_processor_idempotency_keys WHERE key = $1',
      [key],
    );
    const row = rows[0]!;
    return row.fingerprint === fingerprint ? { kind: 'replay', response: row.response } : { kind: 'mismatch' };
  }

  async saveIdempotencyResponse<R>(key: string, response: R): Promise<void> {
    await this.tx.query('UPDATE simulated_processor_idempotency_keys SET response = $2 WHERE key = $1', [
      key,
      JSON.stringify(response),
    ]);
  }
}

/** Opens ledger transactions on the service's own database. */
export class SimulatedLedger {
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly db: Database) {}

  async transaction<T>(fn: (ledger: LedgerTransaction) => Promise<T>): Promise<T> {
    let ledger: LedgerTransaction | undefined;
    const result = await this.db.transaction((tx) => fn((ledger = new LedgerTransaction(tx))));
    // Only committed events are told of: a rolled-back one never happened.
    if (ledger && ledger.appended > 0) for (const listener of this.listeners) listener();
    return result;
  }

  /** Calls `listener` after each transaction that committed new events. */
  onEventsCommitted(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Takes up to `limit` events not delivered yet, oldest first, marking them delivered; an
   * instance that crashes before sending them loses them (the service's reconciler asks the
   * processor anyway). `releaseEvents` gives back those that could not be sent.
   */
  async claimUndeliveredEvents<T>(limit: number): Promise<Array<{ seq: number; event: T }>> {
    const { rows } = await this.db.query<{ seq: string; data: T }>(
      `UPDATE simulated_processor_events SET delivered_at = now()
       WHERE seq IN (SELECT seq FROM simulated_processor_events WHERE delivered_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING seq, data`,
      [limit],
    );
    return rows.map((row) => ({ seq: Number(row.seq), event: row.data })).sort((a, b) => a.seq - b.seq);
  }

  async releaseEvents(seqs: readonly number[]): Promise<void> {
    if (seqs.length > 0) await this.db.query('UPDATE simulated_processor_events SET delivered_at = NULL WHERE seq = ANY($1::bigint[])', [[...seqs]]);
  }
}
