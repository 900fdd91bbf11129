import type { CaptureMethod, OrderHold, Payment } from '../domain/models.js';
import { notificationFor, orderStatusFor, type OrderNotificationPolicy } from '../domain/order-notifications.js';
import { ORDER_HOLDING_STATUSES, type PaymentStatus } from '../domain/payment-state.js';
import type { Database, Queryable } from './database.js';
import { holding, holdsOrder, queueNotificationSql, recordChangeSql, SELECT_PAYMENT } from './payment-outcome-statements.js';

interface PaymentRow {
  pending_operation: 'capture' | 'cancel' | null;
  pending_amount: number | null;
  operation_attempt: number;
  create_attempt: number;
  superseded_by: string | null;
  order_hold: OrderHold;
  id: string;
  processor: string;
  processor_payment_intent_id: string | null;
  customer_id: string;
  customer_processor_id: string | null;
  payment_method_id: string | null;
  order_id: string | null;
  amount: number;
  currency: string;
  capture_method: CaptureMethod;
  status: PaymentStatus;
  amount_capturable: number;
  amount_received: number;
  amount_refunded: number;
  description: string | null;
  return_url: string | null;
  client_secret: string | null;
  next_action: Record<string, unknown> | null;
  failure_code: string | null;
  decline_code: string | null;
  failure_message: string | null;
  capture_before: Date | null;
  quote_id: string | null;
  quote_breakdown: Record<string, unknown> | null;
  capture_on: 'delivery' | null;
  created_at: Date;
  updated_at: Date;
}

const toPayment = (row: PaymentRow): Payment => ({
  id: row.id,
  processor: row.processor,
  processorPaymentIntentId: row.processor_payment_intent_id,
  customerId: row.customer_id,
  customerProcessorId: row.customer_processor_id,
  paymentMethodId: row.payment_method_id,
  orderId: row.order_id,
  amount: row.amount,
  currency: row.currency,
  captureMethod: row.capture_method,
  status: row.status,
  amountCapturable: row.amount_capturable,
  amountReceived: row.amount_received,
  amountRefunded: row.amount_refunded,
  description: row.description,
  returnUrl: row.return_url,
  clientSecret: row.client_secret,
  nextAction: row.next_action,
  failureCode: row.failure_code,
  declineCode: row.decline_code,
  failureMessage: row.failure_message,
  captureBefore: row.capture_before,
  pendingOperation: row.pending_operation,
  pendingAmount: row.pending_amount,
  operationAttempt: row.operation_attempt,
  createAttempt: row.create_attempt,
  supersededBy: row.superseded_by,
  orderHold: row.order_hold,
  quoteId: row.quote_id,
  quoteBreakdown: row.quote_breakdown,
  captureOn: row.capture_on,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const SELECT = SELECT_PAYMENT;

const UNIQUE_VIOLATION = '23505';
/** The unique indexes through which a payment holds an order (migration 018): per customer, and order-wide. */
const ORDER_HOLD_INDEXES = ['payments_one_live_per_customer_order_idx', 'payments_one_order_wide_hold_idx'];


export interface NewPayment {
  id: string;
  processor: string;
  customerId: string;
  /** Null for a browser-confirmed payment: Stripe.js confirms it with a card we are not told of first. */
  paymentMethodId: string | null;
  orderId: string | null;
  amount: number;
  currency: string;
  captureMethod: CaptureMethod;
  description: string | null;
  returnUrl: string | null;
  /** The creating request's bearer token, sealed, for the Order Service; null when nothing is to be forwarded. */
  notifyToken?: string | null;
  /** The creating request's W3C traceparent, passed on with its notification; null without one. */
  traceparent?: string | null;
  /** Who it holds its order against (default `order`: everyone). */
  orderHold?: OrderHold;
  /** Its delivery terms (migration 013): the quote it pays, the breakdown charged, capture on delivery. */
  quoteId?: string | null;
  quoteBreakdown?: Record<string, unknown> | null;
  captureOn?: 'delivery' | null;
}

/**
 * Where the payments' notifications go: the policy says which status changes the Order Service
 * hears of, `queued` is told after a commit that queued one (so the relay sends it at once).
 */
export interface PaymentNotifications {
  policy: OrderNotificationPolicy;
  queued: () => void;
}

/** What the processor said about a payment, to be recorded on its row. */
export type PaymentOutcome = Pick<
  Payment,
  | 'processorPaymentIntentId' | 'status' | 'amountCapturable' | 'amountReceived' | 'clientSecret' | 'nextAction'
  | 'failureCode' | 'declineCode' | 'failureMessage' | 'captureBefore'
>;

/**
 * Who moved a payment: the request that created or changed it, the reconciler, a processor event
 * (webhook), or the service itself when it gave up on a payment (`give_up`: its intent canceled at
 * the processor).
 */
export type PaymentEventSource = 'request' | 'capture' | 'cancel' | 'reconciler' | 'expiry' | 'webhook' | 'give_up';

export interface PaymentFilter {
  orderId?: string | undefined;
  customerId?: string | undefined;
}

/** A position in a newest-first list: the last row seen (compared in the database, at full timestamp precision). */
export interface ListCursor {
  id: string;
}

export class PaymentsRepository {
  constructor(
    private readonly db: Database,
    private readonly notifications: PaymentNotifications | null = null,
  ) {}

  async findById(id: string, tx: Queryable = this.db): Promise<Payment | null> {
    const { rows } = await tx.query<PaymentRow>(`${SELECT} WHERE p.id = $1`, [id]);
    return rows[0] ? toPayment(rows[0]) : null;
  }

  async findByProcessorId(processorPaymentIntentId: string): Promise<Payment | null> {
    const { rows } = await this.db.query<PaymentRow>(`${SELECT} WHERE p.processor_payment_intent_id = $1`, [processorPaymentIntentId]);
    return rows[0] ? toPayment(rows[0]) : null;
  }

  /**
   * The payment that keeps a new payment of `customerId` from an order: that customer's own live
   * payment for it, else the order-wide hold (a service's or an administrator's payment), if any.
   */
  async findHolder(orderId: string, customerId: string): Promise<Payment | null> {
    const { rows } = await this.db.query<PaymentRow>(
      `${SELECT} WHERE p.order_id = $1 AND ${holding('p', '$3')} AND (p.customer_id = $2 OR p.order_hold = 'order')
       ORDER BY (p.customer_id = $2) DESC, p.created_at DESC LIMIT 1`,
      [orderId, customerId, [...ORDER_HOLDING_STATUSES]],
    );
    return rows[0] ? toPayment(rows[0]) : null;
  }

  /**
   * The order's payment as the Order Service knows it (what its `{orderId}` refund refunds): the
   * order-wide hold, else the first live payment a customer made for it with its own token,
   * paid or authorized ones first.
   */
  async findOrderPayment(orderId: string): Promise<Payment | null> {
    const { rows } = await this.db.query<PaymentRow>(
      `${SELECT} WHERE p.order_id = $1 AND ${holding('p', '$2')}
       ORDER BY (p.order_hold = 'order') DESC, (p.status IN ('succeeded', 'requires_capture')) DESC, p.created_at, p.id LIMIT 1`,
      [orderId, [...ORDER_HOLDING_STATUSES]],
    );
    return rows[0] ? toPayment(rows[0]) : null;
  }

  /**
   * Writes the payment in status `unknown`, before the processor is called. Answers `existing` when
   * a payment with this id was written before (a retried request), and `heldBy` when the order is
   * held against it (then nothing is written): by its customer's own live payment, or by an
   * order-wide hold. An order-wide payment is not held off by other customers' own payments.
   */
  async insertPending(
    payment: NewPayment,
  ): Promise<{ payment: Payment } | { existing: Payment } | { heldBy: Payment | null }> {
    let rows: PaymentRow[] = [];
    try {
      // One statement, so one round trip and one commit: the row, its first history entry, and the
      // row as written (a new payment has nothing refunded). The order-wide hold is looked for in the
      // insert itself; a concurrent one not committed yet leaves the two as if this one came first,
      // which an order-wide hold allows.
      ({ rows } = await this.db.query<PaymentRow>(
        `WITH inserted AS (
           INSERT INTO payments (id, processor, customer_id, payment_method_id, order_id, amount, currency, capture_method,
                                 status, description, return_url, notify_token, traceparent, quote_id, quote_breakdown, capture_on, order_hold)
           SELECT $1, $2, $3, $4, $5, $6, $7, $8, 'unknown', $9, $10, $11, $12, $13, $14, $15, $16
           WHERE $5::text IS NULL OR NOT EXISTS (
             SELECT 1 FROM payments h WHERE h.order_id = $5 AND h.id <> $1 AND h.order_hold = 'order' AND ${holding('h', '$17')})
           RETURNING *
         ), event AS (
           INSERT INTO payment_events (payment_id, from_status, to_status, source) SELECT id, NULL, 'unknown', 'request' FROM inserted
         )
         SELECT inserted.*, (SELECT c.processor_customer_id FROM customers c WHERE c.id = inserted.customer_id) AS customer_processor_id,
           0::bigint AS amount_refunded
         FROM inserted`,
        [
          payment.id, payment.processor, payment.customerId, payment.paymentMethodId, payment.orderId, payment.amount,
          payment.currency, payment.captureMethod, payment.description, payment.returnUrl,
          this.notifications && payment.orderId !== null ? (payment.notifyToken ?? null) : null,
          payment.traceparent ?? null,
          payment.quoteId ?? null, payment.quoteBreakdown ? JSON.stringify(payment.quoteBreakdown) : null, payment.captureOn ?? null,
          payment.orderHold ?? 'order', [...ORDER_HOLDING_STATUSES],
        ],
      ));
    } catch (error) {
      if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
    }
    if (rows.length === 1) return { payment: toPayment(rows[0]!) };
    const existing = await this.findById(payment.id);
    if (existing) return { existing };
    if (payment.orderId !== null) return { heldBy: await this.findHolder(payment.orderId, payment.customerId) };
    throw new Error(`payment ${payment.id} was neither written nor found`);
  }

  /**
   * Records the processor's answer if the row is still in one of `fromStatuses` (the statuses the
   * transition table allows to move to the new one), clears any pending operation, and writes the
   * status change to the history in the same transaction. Answers the row as it is afterwards,
   * whether this call changed it, and the status it had; a concurrent writer that got there first wins.
   *
   * A payment that did not hold its order (given up: declined, 3-D Secure failed) and is now
   * reported live (succeeded, authorized, awaiting the customer) while another payment holds the
   * order against it (its own customer's, or an order-wide hold: migration 018) is recorded as it is, with `superseded_by` naming the holder, found under its row lock:
   * the order keeps its payment, and the late one is left to be settled. Without a holder it
   * simply becomes the order's payment again.
   */
  async recordOutcome(
    id: string,
    fromStatuses: readonly PaymentStatus[],
    outcome: PaymentOutcome,
    source: PaymentEventSource,
    /** The status the caller last saw: a change from it is recorded in one statement (recordChange). */
    expected?: PaymentStatus,
  ): Promise<{ payment: Payment; updated: boolean; previous: PaymentStatus }> {
    if (expected !== undefined) {
      const changed = await this.recordChange(id, expected, fromStatuses, outcome, source);
      if (changed) return changed;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.recordOutcomeOnce(id, fromStatuses, outcome, source);
      } catch (error) {
        // A payment for the order inserted while this one was being recorded, not committed yet when
        // the holder was looked for: once it is, the next attempt sees it and marks this one superseded.
        const { code, constraint } = error as { code?: string; constraint?: string };
        if (code !== UNIQUE_VIOLATION || !ORDER_HOLD_INDEXES.includes(constraint ?? '') || attempt >= 3) throw error;
      }
    }
  }

  /**
   * The common case in one statement (recordChangeSql): a change of status from `expected`, of a
   * payment not superseded, that looks for no holder of its order (its old status held the order,
   * or the new one does not). Null when that is not the case, or when the row is no longer in
   * `expected` (another writer moved it first): the caller then takes the general path.
   */
  private async recordChange(
    id: string,
    expected: PaymentStatus,
    fromStatuses: readonly PaymentStatus[],
    outcome: PaymentOutcome,
    source: PaymentEventSource,
  ): Promise<{ payment: Payment; updated: boolean; previous: PaymentStatus } | null> {
    if (expected === outcome.status || !fromStatuses.includes(expected) || (holdsOrder(outcome.status) && !holdsOrder(expected))) return null;
    const event = this.notifications ? notificationFor(expected, outcome.status, outcome.failureCode !== null) : null;
    const orderStatus = event && this.notifications ? orderStatusFor(event, this.notifications.policy) : null;
    const { rows } = await this.db.query<PaymentRow & { queued: number }>(recordChangeSql(event && { event, queue: orderStatus !== null }), [
      id, outcome.processorPaymentIntentId, outcome.status, outcome.amountCapturable, outcome.amountReceived,
      outcome.clientSecret, outcome.nextAction === null ? null : JSON.stringify(outcome.nextAction),
      outcome.failureCode, outcome.declineCode, outcome.failureMessage, outcome.captureBefore, expected, source,
      ...(orderStatus !== null ? [orderStatus, [...ORDER_HOLDING_STATUSES]] : []),
    ]);
    const row = rows[0];
    if (!row) return null;
    if (row.queued > 0) this.notifications?.queued();
    return { payment: toPayment(row), updated: true, previous: expected };
  }

  private async recordOutcomeOnce(
    id: string,
    fromStatuses: readonly PaymentStatus[],
    outcome: PaymentOutcome,
    source: PaymentEventSource,
  ): Promise<{ payment: Payment; updated: boolean; previous: PaymentStatus }> {
    // An outcome that says nothing new (a status poll, a refresh) leaves the row as it is, updated_at included.
    const result = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{
        status: PaymentStatus; order_id: string | null; customer_id: string; superseded_by: string | null; capture_before: Date | null;
      }>(
        'SELECT status, order_id, customer_id, superseded_by, capture_before FROM payments WHERE id = $1 FOR UPDATE',
        [id],
      );
      const current = rows[0]!.status;
      if (!fromStatuses.includes(current)) return { payment: (await this.findById(id, tx))!, updated: false, previous: current, queued: false };
      let supersededBy = rows[0]!.superseded_by;
      const orderId = rows[0]!.order_id;
      if (supersededBy === null && orderId !== null && holdsOrder(outcome.status) && !holdsOrder(current)) {
        // Held against this one as a new payment would be: by its own customer's, or an order-wide hold.
        const holder = await tx.query<{ id: string }>(
          `SELECT h.id FROM payments h WHERE h.order_id = $1 AND h.id <> $2 AND (h.customer_id = $4 OR h.order_hold = 'order')
             AND ${holding('h', '$3')}
           ORDER BY h.created_at LIMIT 1 FOR UPDATE`,
          [orderId, id, [...ORDER_HOLDING_STATUSES], rows[0]!.customer_id],
        );
        supersededBy = holder.rows[0]?.id ?? null;
      }
      // An authorization's deadline comes with its latest charge; an answer without it (an event,
      // whose intent is never expanded) does not forget the one already known.
      const captureBefore = outcome.status === 'requires_capture' ? (outcome.captureBefore ?? rows[0]!.capture_before) : outcome.captureBefore;
      const changed = current !== outcome.status;
      // The change and the row as it is afterwards in one statement (a row the update left as it
      // was, nothing being new, is read again); its event follows in a statement of its own.
      const { rows: written } = await tx.query<PaymentRow>(
        `WITH updated AS (
           UPDATE payments SET
           processor_payment_intent_id = COALESCE($2, processor_payment_intent_id),
           status = $3, amount_capturable = $4, amount_received = $5,
           client_secret = COALESCE($6, client_secret), next_action = $7,
           failure_code = $8, decline_code = $9, failure_message = $10, capture_before = $11,
           superseded_by = $12::uuid,
           pending_operation = NULL, pending_amount = NULL, updated_at = now()
         WHERE id = $1 AND (
           processor_payment_intent_id IS DISTINCT FROM COALESCE($2, processor_payment_intent_id) OR status IS DISTINCT FROM $3
           OR amount_capturable IS DISTINCT FROM $4 OR amount_received IS DISTINCT FROM $5
           OR client_secret IS DISTINCT FROM COALESCE($6, client_secret) OR next_action IS DISTINCT FROM $7::jsonb
           OR failure_code IS DISTINCT FROM $8 OR decline_code IS DISTINCT FROM $9 OR failure_message IS DISTINCT FROM $10
           OR capture_before IS DISTINCT FROM $11::timestamptz OR superseded_by IS DISTINCT FROM $12::uuid
           OR pending_operation IS NOT NULL OR pending_amount IS NOT NULL)
         RETURNING *)
         ${SELECT.replace('FROM payments p', 'FROM updated p')}`,
        [
          id, outcome.processorPaymentIntentId, outcome.status, outcome.amountCapturable, outcome.amountReceived,
          outcome.clientSecret, outcome.nextAction === null ? null : JSON.stringify(outcome.nextAction),
          outcome.failureCode, outcome.declineCode, outcome.failureMessage, captureBefore, supersededBy,
        ],
      );
      if (changed) await insertEvent(tx, id, current, outcome.status, source);
      // A superseded payment's order was paid by another: the Order Service hears nothing of it.
      const queues = changed && supersededBy === null && this.notifications !== null && notificationFor(current, outcome.status, outcome.failureCode !== null) !== null;
      if (!queues && written[0]) return { payment: toPayment(written[0]), updated: true, previous: current, queued: false };
      const queued = queues ? await this.queueNotification(tx, id, current, outcome.status, outcome.failureCode !== null) : false;
      return { payment: (await this.findById(id, tx))!, updated: true, previous: current, queued };
    });
    if (result.queued) this.notifications?.queued();
    return { payment: result.payment, updated: result.updated, previous: result.previous };
  }

  /**
   * Writes the Order Service's notification of a status change, in the transaction of the change,
   * with the payment's sealed token (which leaves the payment row then). A payment is reported
   * succeeded once and failed once; a success is not reported for an order already reported paid
   * since its last failure (a late success of a payment given up on, while another paid the order,
   * or a second customer's payment for the same order id). A failure is not reported while another
   * payment still holds the order: one customer's decline or release says nothing of another's
   * payment. True when a row was queued.
   */
  private async queueNotification(tx: Queryable, paymentId: string, from: PaymentStatus, to: PaymentStatus, attemptFailed: boolean): Promise<boolean> {
    const event = notificationFor(from, to, attemptFailed);
    if (!this.notifications || !event) return false;
    const status = orderStatusFor(event, this.notifications.policy);
    let queued = false;
    if (status !== null) {
      const { rows } = await tx.query(queueNotificationSql({ id: '$1', event: '$2', status: '$3', statuses: '$4' }), [
        paymentId, event, status, [...ORDER_HOLDING_STATUSES],
      ]);
      queued = rows.length > 0;
    }
    await tx.query('UPDATE payments SET notify_token = NULL WHERE id = $1 AND notify_token IS NOT NULL', [paymentId]);
    return queued;
  }

  /**
   * Marks a capture or cancel as sent to the processor, if the payment is still in `status` and no
   * other operation is pending. Null when it is not: the caller lost a race and must look again.
   */
  async markPendingOperation(id: string, status: PaymentStatus, operation: 'capture' | 'cancel', amount: number | null): Promise<Payment | null> {
    const { rowCount } = await this.db.query(
      `UPDATE payments SET pending_operation = $3, pending_amount = $4, operation_attempt = operation_attempt + 1, updated_at = now()
       WHERE id = $1 AND status = $2 AND pending_operation IS NULL`,
      [id, status, operation, amount],
    );
    return rowCount === 1 ? this.findById(id) : null;
  }

  /**
   * Starts the next creation attempt of a payment still unknown and never answered, if it is still
   * at attempt `attempt` (so two resolvers racing send one fresh key, not two). Null when not.
   */
  async nextCreateAttempt(id: string, attempt: number): Promise<Payment | null> {
    const { rowCount } = await this.db.query(
      `UPDATE payments SET create_attempt = create_attempt + 1, updated_at = now()
       WHERE id = $1 AND create_attempt = $2 AND status = 'unknown' AND processor_payment_intent_id IS NULL`,
      [id, attempt],
    );
    return rowCount === 1 ? this.findById(id) : null;
  }

  /** Forgets a pending operation the processor refused outright (so nothing happened). */
  async clearPendingOperation(id: string): Promise<void> {
    await this.db.query('UPDATE payments SET pending_operation = NULL, pending_amount = NULL, updated_at = now() WHERE id = $1', [id]);
  }

  /**
   * Claims up to `limit` payments that need the reconciler: outcome unknown, stuck processing,
   * waiting for the customer (3-D Secure, or a browser-confirmed payment), an operation whose answer
   * was lost, given up on but not canceled at the processor yet, superseded and still to settle
   * (live, no refund yet), all untouched for `graceMs`; or an authorization past its capture
   * deadline. A claim is a lease of `leaseMs`, so instances running the reconciler at once share the
   * work instead of repeating it.
   */
  async claimUnresolved(limit: number, graceMs: number, leaseMs: number): Promise<Payment[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `SELECT p.id FROM payments p
         WHERE (((status IN ('unknown', 'processing', 'requires_action', 'requires_confirmation') OR pending_operation IS NOT NULL
                  OR (status = 'requires_payment_method' AND payment_method_id IS NULL)
                  OR (status = 'requires_payment_method' AND processor_payment_intent_id IS NOT NULL AND failure_code IS NOT NULL
                      AND payment_method_id IS NOT NULL)
                  OR (superseded_by IS NOT NULL AND status IN ('succeeded', 'requires_capture')
                      AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id)))
                 AND updated_at < now() - make_interval(secs => $2::double precision / 1000))
                OR (status = 'requires_capture' AND capture_before < now()))
           AND (reconcile_after IS NULL OR reconcile_after < now())
         ORDER BY updated_at LIMIT $1
         FOR UPDATE OF p SKIP LOCKED`,
        [limit, graceMs],
      );
      if (rows.length === 0) return [];
      const ids = rows.map((row) => row.id);
      // The lease and the rows as leased in one statement, in the claim's order.
      const { rows: leased } = await tx.query<PaymentRow>(
        `WITH leased AS (
           UPDATE payments SET reconcile_after = now() + make_interval(secs => $2::double precision / 1000) WHERE id = ANY($1::uuid[])
           RETURNING *)
         ${SELECT.replace('FROM payments p', 'FROM leased p')}`,
        [ids, leaseMs],
      );
      const byId = new Map(leased.map((row) => [row.id, toPayment(row)]));
      return ids.map((id) => byId.get(id)).filter((p): p is Payment => p !== undefined);
    });
  }

  /** Newest first, `limit` rows after `cursor`, filtered by order and/or customer. */
  async list(filter: PaymentFilter, limit: number, cursor: ListCursor | null): Promise<Payment[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (filter.orderId !== undefined) {
      params.push(filter.orderId);
      conditions.push(`p.order_id = $${params.length}`);
    }
    if (filter.customerId !== undefined) {
      params.push(filter.customerId);
      conditions.push(`p.customer_id = $${params.length}`);
    }
    if (cursor) {
      params.push(cursor.id);
      conditions.push(`(p.created_at, p.id) < (SELECT c.created_at, c.id FROM payments c WHERE c.id = $${params.length})`);
    }
    params.push(limit);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const { rows } = await this.db.query<PaymentRow>(
      `${SELECT} ${where} ORDER BY p.created_at DESC, p.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toPayment);
  }
}

async function insertEvent(tx: Queryable, paymentId: string, from: PaymentStatus | null, to: PaymentStatus, source: PaymentEventSource) {
  await tx.query('INSERT INTO payment_events (payment_id, from_status, to_status, source) VALUES ($1, $2, $3, $4)', [
    paymentId,
    from,
    to,
    source,
  ]);
}
