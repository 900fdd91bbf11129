import type { Database, Queryable } from './database.js';
import { PendingLedgerWrites } from './ledger-writes.js';

export type LedgerObjectType = 'customer' | 'payment_method' | 'payment_intent' | 'refund';

export type IdempotencyClaim<R> = { kind: 'new' } | { kind: 'replay'; response: R } | { kind: 'mismatch' };

/** A deferred write's end: written with its answer, or the key's earlier answer (or refusal). */
export type DeferredWrite<R> = { kind: 'new'; response: R } | { kind: 'replay'; response: R } | { kind: 'mismatch' };

/** What a key claimed before answers: its stored response for the same parameters, a mismatch for others. */
async function earlierClaim<R>(db: Queryable, key: string, fingerprint: string): Promise<{ kind: 'replay'; response: R } | { kind: 'mismatch' }> {
  const { rows } = await db.query<{ fingerprint: string; response: R }>(
    'SELECT fingerprint, response FROM simulated_processor_idempotency_keys WHERE key = $1',
    [key],
  );
  const row = rows[0]!;
  return row.fingerprint === fingerprint ? { kind: 'replay', response: row.response } : { kind: 'mismatch' };
}

const LOCK_CLAUSES = { update: ' FOR UPDATE', share: ' FOR SHARE', none: '' } as const;

/**
 * The simulated processor's storage, seen from inside one transaction. Its writes are kept and
 * sent in one statement (PendingLedgerWrites) before it reads again and when it ends.
 */
export class LedgerTransaction {
  /** Events appended in this transaction, so the ledger can tell its listeners once it commits. */
  appended = 0;
  protected readonly writes = new PendingLedgerWrites();

  constructor(private readonly tx: Queryable) {}

  /** What a read must see first: the writes made before it. */
  protected beforeRead(): Promise<void> {
    return this.writes.flush(this.tx);
  }

  /** Sends what is still kept; the ledger calls it before the transaction commits. */
  finish(): Promise<void> {
    return this.writes.flush(this.tx);
  }

  /**
   * Reads an object and locks it until the transaction ends: `update` (the default) for an object
   * about to change, `share` for one that must not change meanwhile but that others may read alike
   * (a card being charged, by several payments at once), `none` for a look only.
   */
  async get<T>(id: string, type: LedgerObjectType, lock: 'update' | 'share' | 'none' = 'update'): Promise<T | null> {
    await this.beforeRead();
    const { rows } = await this.tx.query<{ data: T }>(
      `SELECT data FROM simulated_processor_objects WHERE id = $1 AND type = $2${LOCK_CLAUSES[lock]}`,
      [id, type],
    );
    return rows[0]?.data ?? null;
  }

  /** Reads ahead the objects a write will `get` (a deferred write reads them in one round trip); nothing here. */
  async preload(_objects: ReadonlyArray<{ id: string; type: LedgerObjectType }>): Promise<void> {}

  async insert(object: { id: string }, type: LedgerObjectType, lookupKey: string | null): Promise<void> {
    this.writes.insert(object, type, lookupKey);
  }

  async update(object: { id: string }, lookupKey: string | null): Promise<void> {
    this.writes.update(object, lookupKey);
  }

  /** Objects of one type under one lookup key, oldest first (newest first when asked, as Stripe lists). */
  async find<T>(type: LedgerObjectType, lookupKey: string, limit = 100, order: 'oldest' | 'newest' = 'oldest'): Promise<T[]> {
    await this.beforeRead();
    const { rows } = await this.tx.query<{ data: T }>(
      `SELECT data FROM simulated_processor_objects WHERE type = $1 AND lookup_key = $2 ORDER BY seq ${order === 'newest' ? 'DESC' : ''} LIMIT $3`,
      [type, lookupKey, limit],
    );
    return rows.map((row) => row.data);
  }

  /** Objects of one type whose `status` is one of `statuses`, oldest first, locked until the transaction ends. */
  async findByStatus<T>(type: LedgerObjectType, statuses: readonly string[], limit = 1000): Promise<T[]> {
    await this.beforeRead();
    const { rows } = await this.tx.query<{ data: T }>(
      `SELECT data FROM simulated_processor_objects WHERE type = $1 AND data->>'status' = ANY($2::text[])
       ORDER BY seq LIMIT $3 FOR UPDATE`,
      [type, [...statuses], limit],
    );
    return rows.map((row) => row.data);
  }

  /** Appends an event the processor would send; events are never changed. */
  async appendEvent(event: { id: string; type: string }): Promise<void> {
    this.writes.event(event);
    this.appended += 1;
  }

  /** The events after `afterSeq`, oldest first, each with its position. */
  async events<T>(afterSeq: number, limit: number): Promise<Array<{ seq: number; event: T }>> {
    await this.beforeRead();
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
    await this.beforeRead();
    const inserted = await this.tx.query(
      `INSERT INTO simulated_processor_idempotency_keys (key, fingerprint, response) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [key, fingerprint, JSON.stringify(pending)],
    );
    return inserted.rowCount === 1 ? { kind: 'new' } : earlierClaim<R>(this.tx, key, fingerprint);
  }

  async saveIdempotencyResponse<R>(key: string, response: R): Promise<void> {
    this.writes.respond(key, response);
  }
}

/**
 * A ledger write that only adds objects and events after reads that need no lock (an intent's
 * creation): the reads go to the database as they come, the inserts and events are kept and sent
 * by `SimulatedLedger.writeAtOnce` in one statement with the idempotency key and its answer.
 */
class DeferredLedgerTransaction extends LedgerTransaction {
  private readonly read = new Map<string, unknown>();

  constructor(private readonly db: Queryable) {
    super(db);
  }

  /** Nothing is sent before the one write: the reads need not see it (they are of other objects). */
  protected override beforeRead(): Promise<void> {
    return Promise.resolve();
  }

  override async get<T>(id: string, type: LedgerObjectType): Promise<T | null> {
    // Nothing is held between the reads and the one write, so there is nothing to lock for.
    const key = `${type}\n${id}`;
    return this.read.has(key) ? (this.read.get(key) as T | null) : super.get<T>(id, type, 'none');
  }

  /** Reads the objects a write will look at in one round trip; `get` then answers them (or their absence). */
  override async preload(objects: ReadonlyArray<{ id: string; type: LedgerObjectType }>): Promise<void> {
    // Two ids at most (a customer and a card), by the primary key alone and the type checked here:
    // a text with two parameters is planned once per connection, where an array is planned per call.
    if (objects.length > 2) throw new Error('preload reads two objects at most');
    const { rows } = await this.db.query<{ id: string; type: LedgerObjectType; data: unknown }>(
      'SELECT id, type, data FROM simulated_processor_objects WHERE id IN ($1, $2)',
      [objects[0]?.id ?? null, objects[1]?.id ?? null],
    );
    for (const o of objects) this.read.set(`${o.type}\n${o.id}`, rows.find((row) => row.id === o.id && row.type === o.type)?.data ?? null);
  }

  override update(): Promise<void> {
    throw new Error('a deferred ledger write only adds objects');
  }

  /** The kept objects and events, written with the key claimed in the same statement; false when the key was claimed before. */
  writeWithKey(key: { key: string; fingerprint: string } | null, response: unknown): Promise<boolean> {
    return this.writes.writeWithKey(this.db, key, response);
  }
}

/** Opens ledger transactions on the service's own database. */
export class SimulatedLedger {
  private readonly listeners: Array<() => void> = [];

  constructor(private readonly db: Database) {}

  async transaction<T>(fn: (ledger: LedgerTransaction) => Promise<T>): Promise<T> {
    let ledger: LedgerTransaction | undefined;
    const result = await this.db.transaction(async (tx) => {
      const value = await fn((ledger = new LedgerTransaction(tx)));
      await ledger.finish();
      return value;
    });
    // Only committed events are told of: a rolled-back one never happened.
    if (ledger && ledger.appended > 0) for (const listener of this.listeners) listener();
    return result;
  }

  /**
   * Runs `fn` as a deferred write (DeferredLedgerTransaction): its reads now, then its answer, its
   * objects and its events written in one statement with the idempotency key, one round trip and
   * one commit. A key claimed before (by another call, maybe at the same moment: the statement waits
   * for it to commit) is answered as `claimIdempotencyKey` answers it, and nothing of `fn` is written.
   */
  async writeAtOnce<R>(idempotency: { key: string; fingerprint: string } | null, fn: (ledger: LedgerTransaction) => Promise<R>): Promise<DeferredWrite<R>> {
    const ledger = new DeferredLedgerTransaction(this.db);
    const response = await fn(ledger);
    if (await ledger.writeWithKey(idempotency, response)) {
      if (ledger.appended > 0) for (const listener of this.listeners) listener();
      return { kind: 'new', response };
    }
    return earlierClaim<R>(this.db, idempotency!.key, idempotency!.fingerprint);
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
