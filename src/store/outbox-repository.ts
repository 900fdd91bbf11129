import type { OrderNotificationEvent } from '../domain/order-notifications.js';
import type { Database } from './database.js';

export type OutboxStatus = 'pending' | 'delivered' | 'dead';

/** One notification to the Order Service, as the relay and the admin view see it. */
export interface OutboxEntry {
  id: string;
  event: OrderNotificationEvent;
  orderId: string;
  paymentId: string;
  /** Exactly what is sent: {"orderId", "status"}. */
  payload: { orderId: string; status: string };
  /** The forwarded bearer token, sealed; null once delivered or dead, or when there was none. */
  sealedToken: string | null;
  /** The W3C traceparent of the request that made the payment; null without one. */
  traceparent: string | null;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

interface OutboxRow {
  id: string | number;
  event: OrderNotificationEvent;
  order_id: string;
  payment_id: string;
  payload: { orderId: string; status: string };
  auth_token: string | null;
  traceparent?: string | null;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const toEntry = (row: OutboxRow): OutboxEntry => ({
  id: String(row.id),
  event: row.event,
  orderId: row.order_id,
  paymentId: row.payment_id,
  payload: row.payload,
  sealedToken: row.auth_token,
  traceparent: row.traceparent ?? null,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  lastError: row.last_error,
  createdAt: row.created_at,
  deliveredAt: row.delivered_at,
});

/** The outbox's rows: written by PaymentsRepository with each status change, sent by the relay. */
export class OutboxRepository {
  constructor(private readonly db: Database) {}

  /**
   * Claims up to `limit` rows due now, each the oldest pending row of its order (so one order's
   * notifications go out in the order they were written), leased for `leaseMs` and counted as an
   * attempt. Several instances claim at once without sharing a row.
   */
  async claimDue(limit: number, leaseMs: number): Promise<OutboxEntry[]> {
    const { rows } = await this.db.query<OutboxRow>(
      `WITH due AS (
         SELECT o.id FROM outbox o
         WHERE o.status = 'pending' AND o.next_attempt_at <= now()
           AND (o.locked_until IS NULL OR o.locked_until < now())
           AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.order_id = o.order_id AND e.status = 'pending' AND e.id < o.id)
         ORDER BY o.id LIMIT $1
         FOR UPDATE SKIP LOCKED)
       UPDATE outbox SET locked_until = now() + make_interval(secs => $2::double precision / 1000),
                         attempts = attempts + 1, updated_at = now()
       FROM due WHERE outbox.id = due.id
       RETURNING outbox.*`,
      [limit, leaseMs],
    );
    return rows.map(toEntry).sort((a, b) => Number(a.id) - Number(b.id));
  }

  /** Delivered: the token is erased. */
  async markDelivered(id: string): Promise<void> {
    await this.db.query(
      `UPDATE outbox SET status = 'delivered', delivered_at = now(), auth_token = NULL, locked_until = NULL, last_error = NULL, updated_at = now()
       WHERE id = $1 AND status = 'pending'`,
      [id],
    );
  }

  /** Not delivered this time: tried again after `delayMs`. */
  async scheduleRetry(id: string, delayMs: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2::double precision / 1000), locked_until = NULL,
                         last_error = $3, updated_at = now()
       WHERE id = $1 AND status = 'pending'`,
      [id, delayMs, error.slice(0, 500)],
    );
  }

  /**
   * The Order Service is back after failing: rows waiting out a backoff are due now rather than
   * minutes from now. Answers how many.
   */
  async dueNow(): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE outbox SET next_attempt_at = now(), updated_at = now() WHERE status = 'pending' AND next_attempt_at > now()`,
    );
    return rowCount;
  }

  /** Given up on: the token is erased. */
  async markDead(id: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE outbox SET status = 'dead', auth_token = NULL, locked_until = NULL, last_error = $2, updated_at = now()
       WHERE id = $1 AND status = 'pending'`,
      [id, error.slice(0, 500)],
    );
  }

  /** A dead row sent again from scratch (with a service token: its forwarded token is gone). Null when there is no such dead row. */
  async retryDead(id: string): Promise<OutboxEntry | null> {
    const { rows } = await this.db.query<OutboxRow>(
      `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), locked_until = NULL, updated_at = now()
       WHERE id = $1 AND status = 'dead' RETURNING *`,
      [id],
    );
    return rows[0] ? toEntry(rows[0]) : null;
  }

  async findById(id: string): Promise<OutboxEntry | null> {
    const { rows } = await this.db.query<OutboxRow>('SELECT * FROM outbox WHERE id = $1', [id]);
    return rows[0] ? toEntry(rows[0]) : null;
  }

  /** Newest first, `limit` rows with an id below `before`, of one status or all. */
  async list(status: OutboxStatus | undefined, limit: number, before: string | null): Promise<OutboxEntry[]> {
    const { rows } = await this.db.query<OutboxRow>(
      `SELECT * FROM outbox WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR id < $2)
       ORDER BY id DESC LIMIT $3`,
      [status ?? null, before, limit],
    );
    return rows.map(toEntry);
  }

  /** How many rows wait, how many are dead, and the age of the oldest waiting one (for operators). */
  async summary(): Promise<{ pending: number; dead: number; oldestPendingAt: Date | null }> {
    const { rows } = await this.db.query<{ pending: number; dead: number; oldest: Date | null }>(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'dead')::int AS dead,
              min(created_at) FILTER (WHERE status = 'pending') AS oldest
       FROM outbox`,
    );
    return { pending: rows[0]!.pending, dead: rows[0]!.dead, oldestPendingAt: rows[0]!.oldest };
  }
}
