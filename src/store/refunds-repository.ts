import { REFUND_HOLDING_STATUSES, type Refund, type RefundStatus } from '../domain/models.js';
import type { PaymentStatus } from '../domain/payment-state.js';
import type { Database } from './database.js';

interface RefundRow {
  id: string;
  processor_refund_id: string | null;
  payment_id: string;
  amount: number;
  currency: string;
  reason: string | null;
  status: RefundStatus;
  failure_reason: string | null;
  create_attempt: number;
  created_at: Date;
}

const toRefund = (row: RefundRow): Refund => ({
  id: row.id,
  processorRefundId: row.processor_refund_id,
  paymentId: row.payment_id,
  amount: row.amount,
  currency: row.currency,
  reason: row.reason,
  status: row.status,
  failureReason: row.failure_reason,
  createAttempt: row.create_attempt,
  createdAt: row.created_at,
});

const COLUMNS = 'id, processor_refund_id, payment_id, amount, currency, reason, status, failure_reason, create_attempt, created_at';

/** What a refund decision sees, read under the payment's row lock. */
export interface RefundableState {
  status: PaymentStatus;
  amountReceived: number;
  currency: string;
  /** Sum of the payment's refunds that are in flight, pending or succeeded. */
  amountReserved: number;
}

/** A refund's outcome written on its row ($1 the id, $2–$4 the outcome); the crash tests' fixture knows its first words. */
const RECORD_REFUND = 'UPDATE refunds SET processor_refund_id = COALESCE($2, processor_refund_id), status = $3, failure_reason = $4, updated_at = now() WHERE id = $1';

export class RefundsRepository {
  constructor(private readonly db: Database) {}

  /**
   * Locks the payment, lets `decide` choose the amount from what is left, and writes the refund in
   * status `unknown` before the processor is called. Concurrent refunds of one payment queue on the
   * lock, so their sum can never pass what was captured.
   */
  async reserve(
    paymentId: string,
    refund: { id: string; reason: string | null },
    decide: (state: RefundableState) => number,
  ): Promise<{ refund: Refund; created: boolean }> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ status: PaymentStatus; amount_received: number; currency: string }>(
        'SELECT status, amount_received, currency FROM payments WHERE id = $1 FOR UPDATE',
        [paymentId],
      );
      const payment = rows[0]!;
      // A retried request (same id) finds the refund its first attempt reserved.
      const earlier = await tx.query<RefundRow>(`SELECT ${COLUMNS} FROM refunds WHERE id = $1`, [refund.id]);
      if (earlier.rows[0]) return { refund: toRefund(earlier.rows[0]), created: false };
      const { rows: sums } = await tx.query<{ reserved: number }>(
        `SELECT COALESCE(SUM(amount), 0)::bigint AS reserved FROM refunds
         WHERE payment_id = $1 AND status = ANY($2::text[])`,
        [paymentId, [...REFUND_HOLDING_STATUSES]],
      );
      const amount = decide({
        status: payment.status,
        amountReceived: payment.amount_received,
        currency: payment.currency,
        amountReserved: sums[0]!.reserved,
      });
      const inserted = await tx.query<RefundRow>(
        `INSERT INTO refunds (id, payment_id, amount, currency, reason, status) VALUES ($1, $2, $3, $4, $5, 'unknown')
         RETURNING ${COLUMNS}`,
        [refund.id, paymentId, amount, payment.currency, refund.reason],
      );
      return { refund: toRefund(inserted.rows[0]!), created: true };
    });
  }

  /**
   * Records what the processor says of a refund if its row is still in one of `fromStatuses` (the
   * statuses the refund table allows to move to the new one). Answers the row as it is afterwards,
   * whether this call changed it, and the status it had; a concurrent writer that got there first wins.
   */
  async recordOutcome(
    id: string,
    fromStatuses: readonly RefundStatus[],
    outcome: { processorRefundId: string | null; status: RefundStatus; failureReason: string | null },
    /** The status the caller last saw: a change from it is one statement, a compare-and-set (else the locked path below). */
    expected?: RefundStatus,
  ): Promise<{ refund: Refund; updated: boolean; previous: RefundStatus }> {
    if (expected !== undefined && expected !== outcome.status && fromStatuses.includes(expected)) {
      const { rows } = await this.db.query<RefundRow>(
        `${RECORD_REFUND} AND status = $5 RETURNING ${COLUMNS}`,
        [id, outcome.processorRefundId, outcome.status, outcome.failureReason, expected],
      );
      if (rows[0]) return { refund: toRefund(rows[0]), updated: true, previous: expected };
    }
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<RefundRow>(`SELECT ${COLUMNS} FROM refunds WHERE id = $1 FOR UPDATE`, [id]);
      const current = rows[0]!;
      const previous = current.status;
      // The same word again (a watched refund still succeeded, a repeated event) writes nothing.
      const unchanged =
        previous === outcome.status && current.failure_reason === outcome.failureReason &&
        (outcome.processorRefundId === null || current.processor_refund_id === outcome.processorRefundId);
      if (unchanged || !fromStatuses.includes(previous)) return { refund: toRefund(current), updated: false, previous };
      const updated = await tx.query<RefundRow>(
        `${RECORD_REFUND} RETURNING ${COLUMNS}`,
        [id, outcome.processorRefundId, outcome.status, outcome.failureReason],
      );
      return { refund: toRefund(updated.rows[0]!), updated: true, previous };
    });
  }

  /**
   * Starts the next creation attempt of a refund still unknown and never answered, if it is still
   * at attempt `attempt`. Null when not.
   */
  async nextCreateAttempt(id: string, attempt: number): Promise<Refund | null> {
    const { rows } = await this.db.query<RefundRow>(
      `UPDATE refunds SET create_attempt = create_attempt + 1, updated_at = now()
       WHERE id = $1 AND create_attempt = $2 AND status = 'unknown' AND processor_refund_id IS NULL RETURNING ${COLUMNS}`,
      [id, attempt],
    );
    return rows[0] ? toRefund(rows[0]) : null;
  }

  /**
   * Claims succeeded refunds created within `watchMs`, each at most once per `recheckMs` (the
   * claim sets its next time), so the processor is asked again whether they still stand.
   */
  async claimRecentlySucceeded(limit: number, watchMs: number, recheckMs: number): Promise<Refund[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<RefundRow>(
        `SELECT ${COLUMNS} FROM refunds
         WHERE status = 'succeeded'
           AND created_at > now() - make_interval(secs => $2::double precision / 1000)
           AND COALESCE(reconcile_after, updated_at + make_interval(secs => $3::double precision / 1000)) <= now()
         ORDER BY COALESCE(reconcile_after, updated_at + make_interval(secs => $3::double precision / 1000)) LIMIT $1
         FOR UPDATE SKIP LOCKED`,
        [limit, watchMs, recheckMs],
      );
      if (rows.length === 0) return [];
      await tx.query(
        'UPDATE refunds SET reconcile_after = now() + make_interval(secs => $2::double precision / 1000) WHERE id = ANY($1::uuid[])',
        [rows.map((row) => row.id), recheckMs],
      );
      return rows.map(toRefund);
    });
  }

  /**
   * Records a refund made at the processor without us (in Stripe's Dashboard), so that what was
   * refunded of the payment stays right. The row's id is derived from the processor's refund id by
   * the caller, so two events about one refund write it once. Answers the row, new or already there.
   */
  async insertProcessorRefund(refund: {
    id: string;
    paymentId: string;
    processorRefundId: string;
    amount: number;
    currency: string;
    reason: string | null;
    status: RefundStatus;
    failureReason: string | null;
  }): Promise<{ refund: Refund; created: boolean }> {
    const { rows } = await this.db.query<RefundRow>(
      `INSERT INTO refunds (id, payment_id, processor_refund_id, amount, currency, reason, status, failure_reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
      [refund.id, refund.paymentId, refund.processorRefundId, refund.amount, refund.currency, refund.reason, refund.status, refund.failureReason],
    );
    if (rows[0]) return { refund: toRefund(rows[0]), created: true };
    return { refund: (await this.findByProcessorId(refund.processorRefundId)) ?? (await this.findById(refund.id))!, created: false };
  }

  async findByProcessorId(processorRefundId: string): Promise<Refund | null> {
    const { rows } = await this.db.query<RefundRow>(`SELECT ${COLUMNS} FROM refunds WHERE processor_refund_id = $1`, [processorRefundId]);
    return rows[0] ? toRefund(rows[0]) : null;
  }

  /**
   * Claims refunds whose outcome is unknown, or still pending at the processor, untouched for
   * `graceMs`; leased for `leaseMs` so concurrent reconcilers share the work.
   */
  async claimUnresolved(limit: number, graceMs: number, leaseMs: number): Promise<Refund[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<RefundRow>(
        `SELECT ${COLUMNS} FROM refunds
         WHERE status IN ('unknown', 'pending')
           AND updated_at < now() - make_interval(secs => $2::double precision / 1000)
           AND (reconcile_after IS NULL OR reconcile_after < now())
         ORDER BY updated_at LIMIT $1
         FOR UPDATE SKIP LOCKED`,
        [limit, graceMs],
      );
      if (rows.length === 0) return [];
      await tx.query(
        'UPDATE refunds SET reconcile_after = now() + make_interval(secs => $2::double precision / 1000) WHERE id = ANY($1::uuid[])',
        [rows.map((row) => row.id), leaseMs],
      );
      return rows.map(toRefund);
    });
  }

  async findById(id: string): Promise<Refund | null> {
    const { rows } = await this.db.query<RefundRow>(`SELECT ${COLUMNS} FROM refunds WHERE id = $1`, [id]);
    return rows[0] ? toRefund(rows[0]) : null;
  }

  async listForPayment(paymentId: string): Promise<Refund[]> {
    const { rows } = await this.db.query<RefundRow>(
      `SELECT ${COLUMNS} FROM refunds WHERE payment_id = $1 ORDER BY created_at DESC, id DESC`,
      [paymentId],
    );
    return rows.map(toRefund);
  }
}
