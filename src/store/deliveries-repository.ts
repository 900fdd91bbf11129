import type { Database } from './database.js';

/** A payment's delivery terms (migration 013): the quote it pays and whether it waits for the delivery. */
export interface PaymentTermsRow {
  paymentId: string;
  orderId: string | null;
  quoteId: string | null;
  quoteBreakdown: Record<string, unknown> | null;
  captureOn: 'delivery' | null;
}

/** One report of an order's trip, kept once per payment and status. */
export interface DeliveryEvent {
  id: string;
  paymentId: string;
  orderId: string;
  status: string;
  source: 'event' | 'check';
  receivedAt: Date;
}

/** An authorization that waits for its delivery. */
export interface AwaitedAuthorization {
  paymentId: string;
  processorPaymentIntentId: string | null;
  orderId: string;
  amount: number;
  currency: string;
  captureBefore: Date | null;
  createdAt: Date;
  /** True when a DELIVERED event is recorded (its capture then failed or is under way). */
  delivered: boolean;
}

interface EventRow {
  id: string;
  payment_id: string;
  order_id: string;
  status: string;
  source: 'event' | 'check';
  received_at: Date;
}

const toEvent = (row: EventRow): DeliveryEvent => ({
  id: String(row.id),
  paymentId: row.payment_id,
  orderId: row.order_id,
  status: row.status,
  source: row.source,
  receivedAt: new Date(row.received_at),
});

export class DeliveriesRepository {
  constructor(private readonly db: Database) {}

  /**
   * The newest payment of an order that is captured on delivery, an order-wide one (the Order
   * Service's) before any a customer made with its own token for the same order id.
   */
  async paymentAwaitingDelivery(orderId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT id FROM payments WHERE order_id = $1 AND capture_on = 'delivery' ORDER BY (order_hold = 'order') DESC, created_at DESC LIMIT 1`,
      [orderId],
    );
    return rows[0]?.id ?? null;
  }

  /** Records an event; `duplicate` when the same status was already recorded for the payment. */
  async recordEvent(event: Omit<DeliveryEvent, 'id'>): Promise<{ event: DeliveryEvent; duplicate: boolean }> {
    const { rows } = await this.db.query<EventRow>(
      `INSERT INTO delivery_events (payment_id, order_id, status, source, received_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (payment_id, status) DO NOTHING RETURNING *`,
      [event.paymentId, event.orderId, event.status, event.source, event.receivedAt],
    );
    if (rows[0]) return { event: toEvent(rows[0]), duplicate: false };
    const existing = await this.db.query<EventRow>('SELECT * FROM delivery_events WHERE payment_id = $1 AND status = $2', [event.paymentId, event.status]);
    return { event: toEvent(existing.rows[0]!), duplicate: true };
  }

  async eventsOf(paymentId: string): Promise<DeliveryEvent[]> {
    const { rows } = await this.db.query<EventRow>('SELECT * FROM delivery_events WHERE payment_id = $1 ORDER BY id', [paymentId]);
    return rows.map(toEvent);
  }

  /** Authorizations captured on delivery still held, whose capture_before is before `until`, soonest first. */
  async authorizationsExpiringBefore(until: Date, limit: number): Promise<AwaitedAuthorization[]> {
    const { rows } = await this.db.query<{
      id: string; processor_payment_intent_id: string | null; order_id: string; amount: string | number; currency: string;
      capture_before: Date | null; created_at: Date; delivered: boolean;
    }>(
      `SELECT p.id, p.processor_payment_intent_id, p.order_id, p.amount, p.currency, p.capture_before, p.created_at,
              EXISTS (SELECT 1 FROM delivery_events e WHERE e.payment_id = p.id AND e.status = 'DELIVERED') AS delivered
         FROM payments p
        WHERE p.capture_on = 'delivery' AND p.status = 'requires_capture' AND p.capture_before <= $1
        ORDER BY p.capture_before, p.id
        LIMIT $2`,
      [until, limit],
    );
    return rows.map((row) => ({
      paymentId: row.id,
      processorPaymentIntentId: row.processor_payment_intent_id,
      orderId: row.order_id,
      amount: Number(row.amount),
      currency: row.currency,
      captureBefore: row.capture_before ? new Date(row.capture_before) : null,
      createdAt: new Date(row.created_at),
      delivered: row.delivered,
    }));
  }

  /** Authorizations whose DELIVERED event is recorded but which are not captured yet (the capture failed). */
  async deliveredButNotCaptured(limit: number): Promise<string[]> {
    const { rows } = await this.db.query<{ id: string }>(
      `SELECT p.id FROM payments p
        WHERE p.capture_on = 'delivery' AND p.status = 'requires_capture' AND p.pending_operation IS NULL
          AND EXISTS (SELECT 1 FROM delivery_events e WHERE e.payment_id = p.id AND e.status = 'DELIVERED')
        ORDER BY p.id LIMIT $1`,
      [limit],
    );
    return rows.map((row) => row.id);
  }
}
