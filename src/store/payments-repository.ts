import type { CaptureMethod, Payment } from '../domain/models.js';
import type { PaymentStatus } from '../domain/payment-state.js';
import type { Queryable } from './database.js';

interface PaymentRow {
  id: string;
  processor: string;
  processor_payment_intent_id: string | null;
  customer_id: string;
  customer_processor_id: string | null;
  payment_method_id: string;
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
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const SELECT = `SELECT p.*,
  (SELECT c.processor_customer_id FROM customers c WHERE c.id = p.customer_id) AS customer_processor_id,
  (SELECT COALESCE(SUM(r.amount), 0) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded')::bigint AS amount_refunded
  FROM payments p`;

const UNIQUE_VIOLATION = '23505';

export interface NewPayment {
  id: string;
  processor: string;
  customerId: string;
  paymentMethodId: string;
  orderId: string | null;
  amount: number;
  currency: string;
  captureMethod: CaptureMethod;
  description: string | null;
  returnUrl: string | null;
}

/** What the processor said about a payment, to be recorded on its row. */
export type PaymentOutcome = Pick<
  Payment,
  | 'processorPaymentIntentId' | 'status' | 'amountCapturable' | 'amountReceived' | 'clientSecret' | 'nextAction'
  | 'failureCode' | 'declineCode' | 'failureMessage' | 'captureBefore'
>;

export class PaymentsRepository {
  constructor(private readonly db: Queryable) {}

  async findById(id: string): Promise<Payment | null> {
    const { rows } = await this.db.query<PaymentRow>(`${SELECT} WHERE p.id = $1`, [id]);
    return rows[0] ? toPayment(rows[0]) : null;
  }

  async findByProcessorId(processorPaymentIntentId: string): Promise<Payment | null> {
    const { rows } = await this.db.query<PaymentRow>(`${SELECT} WHERE p.processor_payment_intent_id = $1`, [processorPaymentIntentId]);
    return rows[0] ? toPayment(rows[0]) : null;
  }

  /** The payment that holds an order (in flight, authorized or paid), if any. */
  async findHoldingOrder(orderId: string): Promise<Payment | null> {
    const { rows } = await this.db.query<PaymentRow>(
      `${SELECT} WHERE p.order_id = $1
         AND p.status IN ('unknown', 'requires_action', 'processing', 'requires_capture', 'succeeded')
       ORDER BY p.created_at DESC LIMIT 1`,
      [orderId],
    );
    return rows[0] ? toPayment(rows[0]) : null;
  }

  /**
   * Writes the payment in status `unknown`, before the processor is called. When another payment
   * already holds the order, nothing is written and that payment is answered as `held`.
   */
  async insertPending(payment: NewPayment): Promise<{ payment: Payment } | { heldBy: Payment | null }> {
    try {
      await this.db.query(
        `INSERT INTO payments (id, processor, customer_id, payment_method_id, order_id, amount, currency, capture_method,
                               status, description, return_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'unknown', $9, $10)`,
        [
          payment.id, payment.processor, payment.customerId, payment.paymentMethodId, payment.orderId, payment.amount,
          payment.currency, payment.captureMethod, payment.description, payment.returnUrl,
        ],
      );
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION && payment.orderId !== null) {
        return { heldBy: await this.findHoldingOrder(payment.orderId) };
      }
      throw error;
    }
    return { payment: (await this.findById(payment.id))! };
  }

  /**
   * Records the processor's answer if the row is still in one of `fromStatuses` (the statuses the
   * transition table allows to move to the new one). Answers the row as it is afterwards and whether
   * this call changed it; a concurrent writer that got there first wins.
   */
  async recordOutcome(id: string, fromStatuses: readonly PaymentStatus[], outcome: PaymentOutcome): Promise<{ payment: Payment; updated: boolean }> {
    const { rowCount } = await this.db.query(
      `UPDATE payments SET
         processor_payment_intent_id = COALESCE($3, processor_payment_intent_id),
         status = $4, amount_capturable = $5, amount_received = $6,
         client_secret = COALESCE($7, client_secret), next_action = $8,
         failure_code = $9, decline_code = $10, failure_message = $11, capture_before = $12, updated_at = now()
       WHERE id = $1 AND status = ANY($2::text[])`,
      [
        id, [...fromStatuses], outcome.processorPaymentIntentId, outcome.status, outcome.amountCapturable,
        outcome.amountReceived, outcome.clientSecret, outcome.nextAction === null ? null : JSON.stringify(outcome.nextAction),
        outcome.failureCode, outcome.declineCode, outcome.failureMessage, outcome.captureBefore,
      ],
    );
    return { payment: (await this.findById(id))!, updated: rowCount === 1 };
  }
}
