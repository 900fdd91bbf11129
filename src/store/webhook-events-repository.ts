import type { Database } from './database.js';

/** A stored processor event. */
export interface StoredEvent {
  id: string;
  type: string;
  objectId: string | null;
  payload: Record<string, unknown>;
  receivedAt: Date;
  processedAt: Date | null;
  outcome: string | null;
  attempts: number;
}

interface EventRow {
  id: string;
  type: string;
  object_id: string | null;
  payload: Record<string, unknown>;
  received_at: Date;
  processed_at: Date | null;
  outcome: string | null;
  attempts: number;
}

const toEvent = (row: EventRow): StoredEvent => ({
  id: row.id,
  type: row.type,
  objectId: row.object_id,
  payload: row.payload,
  receivedAt: row.received_at,
  processedAt: row.processed_at,
  outcome: row.outcome,
  attempts: row.attempts,
});

const COLUMNS = 'id, type, object_id, payload, received_at, processed_at, outcome, attempts';

export class WebhookEventsRepository {
  constructor(private readonly db: Database) {}

  /** Stores an event unless its id is stored already (a redelivery); answers whether it was new. */
  async insert(event: { id: string; type: string; objectId: string | null; payload: Record<string, unknown> }): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'INSERT INTO webhook_events (id, type, object_id, payload) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
      [event.id, event.type, event.objectId, JSON.stringify(event.payload)],
    );
    return rowCount === 1;
  }

  /** Takes one unprocessed event for `leaseMs`, unless another worker holds it. Null when there is nothing to take. */
  async claim(id: string, leaseMs: number): Promise<StoredEvent | null> {
    const { rows } = await this.db.query<EventRow>(
      `UPDATE webhook_events SET attempts = attempts + 1, lease_until = now() + make_interval(secs => $2::double precision / 1000)
       WHERE id = $1 AND processed_at IS NULL AND (lease_until IS NULL OR lease_until < now())
       RETURNING ${COLUMNS}`,
      [id, leaseMs],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  /** Takes up to `limit` events left unprocessed for `graceMs` (a crash, a failure), oldest first, each for `leaseMs`. */
  async claimUnprocessed(limit: number, graceMs: number, leaseMs: number): Promise<StoredEvent[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `SELECT id FROM webhook_events
         WHERE processed_at IS NULL AND received_at < now() - make_interval(secs => $2::double precision / 1000)
           AND (lease_until IS NULL OR lease_until < now())
         ORDER BY received_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit, graceMs],
      );
      if (rows.length === 0) return [];
      const claimed = await tx.query<EventRow>(
        `UPDATE webhook_events SET attempts = attempts + 1, lease_until = now() + make_interval(secs => $2::double precision / 1000)
         WHERE id = ANY($1::text[]) RETURNING ${COLUMNS}`,
        [rows.map((row) => row.id), leaseMs],
      );
      return claimed.rows.map(toEvent).sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
    });
  }

  async markProcessed(id: string, outcome: string): Promise<void> {
    await this.db.query(
      'UPDATE webhook_events SET processed_at = now(), outcome = $2, last_error = NULL, lease_until = NULL WHERE id = $1',
      [id, outcome],
    );
  }

  /** Leaves the event for a later attempt, with why this one failed; each failure waits longer (up to an hour). */
  async markFailed(id: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE webhook_events SET last_error = $2, lease_until = now() + make_interval(secs => LEAST(3600, 5 * attempts * attempts))
       WHERE id = $1`,
      [id, error.slice(0, 1000)],
    );
  }

  async findById(id: string): Promise<StoredEvent | null> {
    const { rows } = await this.db.query<EventRow>(`SELECT ${COLUMNS} FROM webhook_events WHERE id = $1`, [id]);
    return rows[0] ? toEvent(rows[0]) : null;
  }
}
