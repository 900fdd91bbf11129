import type { OrderNotificationEvent } from '../domain/order-notifications.js';
import { ORDER_HOLDING_STATUSES, type PaymentStatus } from '../domain/payment-state.js';

/**
 * The SQL condition of a payment holding its order (the indexes' own condition): in flight,
 * authorized or paid, or browser-confirmed and waiting for its card, and not superseded.
 * `$statuses` is the parameter holding ORDER_HOLDING_STATUSES.
 */
export const holding = (alias: string, statuses: string) =>
  `${alias}.superseded_by IS NULL AND (${alias}.status = ANY(${statuses}::text[])
     OR (${alias}.payment_method_id IS NULL AND ${alias}.status IN ('requires_payment_method', 'requires_confirmation')))`;

export const holdsOrder = (status: PaymentStatus) => ORDER_HOLDING_STATUSES.includes(status);

/** A payment with what it owes its customer: its row, its customer's processor id, what was refunded. */
export const SELECT_PAYMENT = `SELECT p.*,
  (SELECT c.processor_customer_id FROM customers c WHERE c.id = p.customer_id) AS customer_processor_id,
  (SELECT COALESCE(SUM(r.amount), 0) FROM refunds r WHERE r.payment_id = p.id AND r.status = 'succeeded')::bigint AS amount_refunded
  FROM payments p`;

/**
 * The Order Service's notification of payment `id`'s status change, as an `INSERT … SELECT`
 * answering the ids it wrote: `event` and `status` name the parameters holding the event and the
 * order status, `statuses` ORDER_HOLDING_STATUSES, `also` a further condition. A payment is
 * reported succeeded once and failed once; a success is not reported for an order already reported
 * paid since its last failure, nor a failure while another payment still holds the order.
 */
export const queueNotificationSql = (p: { id: string; event: string; status: string; statuses: string; also?: string }) =>
  `INSERT INTO outbox (event, order_id, payment_id, payload, auth_token, traceparent)
   SELECT ${p.event}, p.order_id, p.id, jsonb_build_object('orderId', p.order_id, 'status', ${p.status}::text), p.notify_token, p.traceparent
   FROM payments p
   WHERE p.id = ${p.id} AND p.order_id IS NOT NULL${p.also ? ` AND ${p.also}` : ''}
     AND (${p.event} <> 'payment_succeeded' OR NOT EXISTS (
       SELECT 1 FROM outbox s
       WHERE s.order_id = p.order_id AND s.event = 'payment_succeeded'
         AND s.id > COALESCE((SELECT max(f.id) FROM outbox f WHERE f.order_id = p.order_id AND f.event = 'payment_failed'), 0)))
     AND (${p.event} <> 'payment_failed' OR NOT EXISTS (
       SELECT 1 FROM payments o WHERE o.order_id = p.order_id AND o.id <> p.id AND ${holding('o', p.statuses)}))
   ON CONFLICT DO NOTHING
   RETURNING id`;

/** What a recorded change tells the Order Service: nothing, or an event queued; `clear` forgets the forwarded token (an event the policy does not send). */
export type RecordedNotification = { event: OrderNotificationEvent; queue: boolean } | null;

const recordChangeTexts = new Map<string, string>();

/**
 * A status change recorded in one statement, when the caller knows the status it changes from
 * ($12): the row changed only if it is still in it and not superseded (a compare-and-set; no row
 * answered when another writer moved it first), its history entry, its notification and the row
 * as written. One round trip and one commit, where the general path takes a transaction of five
 * or more. The notification is part of the text (one text per kind, the event a literal), not a
 * parameter: a parameter that switches a part of the statement off makes every plan a custom one,
 * planned again on each call (437 µs of the database's CPU per payment in the bench), where a
 * text that means one thing is planned once per connection.
 * Parameters: $1 id, $2–$11 the outcome, $12 the expected status, $13 the source; with a queued
 * notification $14 the order status sent and $15 ORDER_HOLDING_STATUSES.
 */
export function recordChangeSql(notification: RecordedNotification): string {
  const kind = notification === null ? 'none' : `${notification.event}:${notification.queue}`;
  let text = recordChangeTexts.get(kind);
  if (text === undefined) {
    const queued = notification?.queue
      ? `, queued AS (
   ${queueNotificationSql({ id: '$1', event: `'${notification.event}'::text`, status: '$14', statuses: '$15', also: 'EXISTS (SELECT 1 FROM recorded)' })}
 )`
      : '';
    text = `WITH recorded AS (
   UPDATE payments SET
     processor_payment_intent_id = COALESCE($2, processor_payment_intent_id),
     status = $3::text, amount_capturable = $4, amount_received = $5,
     client_secret = COALESCE($6, client_secret), next_action = $7,
     failure_code = $8, decline_code = $9, failure_message = $10,
     capture_before = CASE WHEN $3::text = 'requires_capture' THEN COALESCE($11::timestamptz, capture_before) ELSE $11::timestamptz END,${notification ? '\n     notify_token = NULL,' : ''}
     pending_operation = NULL, pending_amount = NULL, updated_at = now()
   WHERE id = $1 AND status = $12::text AND superseded_by IS NULL
   RETURNING *
 ), event AS (
   INSERT INTO payment_events (payment_id, from_status, to_status, source) SELECT id, $12::text, $3::text, $13 FROM recorded
 )${queued}
 ${SELECT_PAYMENT.replace('FROM payments p', 'FROM recorded p').replace('SELECT p.*,', `SELECT p.*, ${queued ? '(SELECT count(*) FROM queued)::int' : '0'} AS queued,`)}`;
    recordChangeTexts.set(kind, text);
  }
  return text;
}
