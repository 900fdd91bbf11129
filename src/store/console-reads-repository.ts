import type { Database } from './database.js';

/** The filters of the operators' payment list; every one optional. */
export interface ConsolePaymentFilter {
  status?: string | undefined;
  orderId?: string | undefined;
  /** Our customer id (uuid), found from the email the operator typed. */
  customerId?: string | undefined;
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
}

/** A payment's history as the operators read it. */
export interface PaymentEventRow {
  fromStatus: string | null;
  toStatus: string;
  source: string;
  at: Date;
}

export interface CardRow {
  brand: string;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
}

/** A row the reconciler has already tried and could not settle: a person must look. */
export interface AttentionRow {
  kind: 'payment' | 'refund';
  id: string;
  paymentId: string;
  status: string;
  amount: number;
  currency: string;
  reason: string;
  updatedAt: Date;
}

export interface WindowTotals {
  count: number;
  succeeded: number;
  declined: number;
  volume: Array<{ currency: string; amount: number }>;
  refunds: Array<{ currency: string; amount: number; count: number }>;
  declineCodes: Array<{ code: string; count: number }>;
}

export interface DayCounts {
  day: string;
  succeeded: number;
  declined: number;
}

const num = (value: unknown) => Number(value ?? 0);

/** A payment counts as charged once authorized or paid, and as declined once the processor said no. */
const SUCCEEDED = `p.status IN ('succeeded', 'requires_capture') OR p.amount_received > 0`;
const DECLINED = `NOT (${SUCCEEDED}) AND (p.decline_code IS NOT NULL OR p.failure_code IS NOT NULL)`;

/** Reads for the operations console: the filtered list, a payment's history, what needs a person, the summary. */
export class ConsoleReadsRepository {
  constructor(private readonly db: Database) {}

  /** Our ids of `limit` payments after `cursor` (our id), newest first, filtered. */
  async listIds(filter: ConsolePaymentFilter, limit: number, cursor: string | null): Promise<string[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      conditions.push(sql(`$${params.length}`));
    };
    if (filter.status !== undefined) add((n) => `p.status = ${n}`, filter.status);
    if (filter.orderId !== undefined) add((n) => `p.order_id = ${n}`, filter.orderId);
    if (filter.customerId !== undefined) add((n) => `p.customer_id = ${n}`, filter.customerId);
    if (filter.createdFrom !== undefined) add((n) => `p.created_at >= ${n}`, filter.createdFrom);
    if (filter.createdTo !== undefined) add((n) => `p.created_at < ${n}`, filter.createdTo);
    if (cursor) add((n) => `(p.created_at, p.id) < (SELECT c.created_at, c.id FROM payments c WHERE c.id = ${n})`, cursor);
    params.push(limit);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT p.id FROM payments p ${where} ORDER BY p.created_at DESC, p.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => row.id);
  }

  async events(paymentId: string): Promise<PaymentEventRow[]> {
    const { rows } = await this.db.query<{ from_status: string | null; to_status: string; source: string; created_at: Date }>(
      'SELECT from_status, to_status, source, created_at FROM payment_events WHERE payment_id = $1 ORDER BY id',
      [paymentId],
    );
    return rows.map((row) => ({ fromStatus: row.from_status, toStatus: row.to_status, source: row.source, at: row.created_at }));
  }

  async card(paymentMethodId: string): Promise<CardRow | null> {
    const { rows } = await this.db.query<{ card_brand: string; card_last4: string; exp_month: number | null; exp_year: number | null }>(
      'SELECT card_brand, card_last4, exp_month, exp_year FROM payment_methods WHERE id = $1',
      [paymentMethodId],
    );
    const row = rows[0];
    return row ? { brand: row.card_brand, last4: row.card_last4, expMonth: row.exp_month, expYear: row.exp_year } : null;
  }

  /** The outbox ids of a payment's notifications, oldest first. */
  async outboxIds(paymentId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string | number }>('SELECT id FROM outbox WHERE payment_id = $1 ORDER BY id', [paymentId]);
    return rows.map((row) => String(row.id));
  }

  /**
   * Payments and refunds still unsettled that the reconciler has already claimed at least once
   * (reconcile_after set) and that no one touched for `staleMs`: its passes did not settle them.
   */
  async attention(staleMs: number, limit: number): Promise<AttentionRow[]> {
    const { rows } = await this.db.query<{
      kind: 'payment' | 'refund'; id: string; payment_id: string; status: string; amount: string | number; currency: string; reason: string; updated_at: Date;
    }>(
      `SELECT * FROM (
         SELECT 'payment' AS kind, p.id::text AS id, p.id::text AS payment_id, p.status, p.amount, p.currency,
                CASE WHEN p.pending_operation IS NOT NULL THEN 'unanswered ' || p.pending_operation
                     WHEN p.superseded_by IS NOT NULL THEN 'superseded, not settled'
                     ELSE 'outcome ' || p.status END AS reason, p.updated_at
         FROM payments p
         WHERE p.reconcile_after IS NOT NULL
           AND (p.status IN ('unknown', 'processing') OR p.pending_operation IS NOT NULL
                OR (p.superseded_by IS NOT NULL AND p.status IN ('succeeded', 'requires_capture')
                    AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id)))
           AND p.updated_at < now() - make_interval(secs => $1::double precision / 1000)
         UNION ALL
         SELECT 'refund', r.id::text, r.payment_id::text, r.status, r.amount, r.currency, 'refund ' || r.status, r.updated_at
         FROM refunds r
         WHERE r.reconcile_after IS NOT NULL AND r.status = 'unknown'
           AND r.updated_at < now() - make_interval(secs => $1::double precision / 1000)
       ) AS left_over ORDER BY updated_at LIMIT $2`,
      [staleMs, limit],
    );
    return rows.map((row) => ({
      kind: row.kind, id: row.id, paymentId: row.payment_id, status: row.status, amount: num(row.amount), currency: row.currency, reason: row.reason, updatedAt: row.updated_at,
    }));
  }

  /** Payments created at or after `since`: counts, volume charged, refunds made and decline codes. */
  async totals(since: Date): Promise<WindowTotals> {
    const counts = await this.db.query<{ count: string; succeeded: string; declined: string }>(
      `SELECT count(*) AS count, count(*) FILTER (WHERE ${SUCCEEDED}) AS succeeded, count(*) FILTER (WHERE ${DECLINED}) AS declined
       FROM payments p WHERE p.created_at >= $1`,
      [since],
    );
    const volume = await this.db.query<{ currency: string; amount: string }>(
      `SELECT p.currency, sum(p.amount_received) AS amount FROM payments p
       WHERE p.created_at >= $1 AND p.amount_received > 0 GROUP BY p.currency ORDER BY p.currency`,
      [since],
    );
    const refunds = await this.db.query<{ currency: string; amount: string; count: string }>(
      `SELECT r.currency, sum(r.amount) AS amount, count(*) AS count FROM refunds r
       WHERE r.created_at >= $1 AND r.status IN ('succeeded', 'pending') GROUP BY r.currency ORDER BY r.currency`,
      [since],
    );
    const codes = await this.db.query<{ code: string; count: string }>(
      `SELECT COALESCE(p.decline_code, p.failure_code) AS code, count(*) AS count FROM payments p
       WHERE p.created_at >= $1 AND ${DECLINED} GROUP BY 1 ORDER BY 2 DESC, 1`,
      [since],
    );
    const row = counts.rows[0];
    return {
      count: num(row?.count),
      succeeded: num(row?.succeeded),
      declined: num(row?.declined),
      volume: volume.rows.map((r) => ({ currency: r.currency, amount: num(r.amount) })),
      refunds: refunds.rows.map((r) => ({ currency: r.currency, amount: num(r.amount), count: num(r.count) })),
      declineCodes: codes.rows.map((r) => ({ code: r.code, count: num(r.count) })),
    };
  }

  /** Succeeded and declined payments per UTC day from `since`, days without any left out. */
  async perDay(since: Date): Promise<DayCounts[]> {
    const { rows } = await this.db.query<{ day: string; succeeded: string; declined: string }>(
      `SELECT to_char(date_trunc('day', p.created_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
              count(*) FILTER (WHERE ${SUCCEEDED}) AS succeeded, count(*) FILTER (WHERE ${DECLINED}) AS declined
       FROM payments p WHERE p.created_at >= $1 GROUP BY 1 ORDER BY 1`,
      [since],
    );
    return rows.map((row) => ({ day: row.day, succeeded: num(row.succeeded), declined: num(row.declined) }));
  }
}
