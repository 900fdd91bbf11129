import type { PaymentStatus } from './payment-state.js';

/** What the Order Service is told of a payment. */
export type OrderNotificationEvent = 'payment_succeeded' | 'payment_failed';

/** The order statuses sent for each event; a null failure status means failures are not sent. */
export interface OrderNotificationPolicy {
  successStatus: string;
  failureStatus: string | null;
}

/** Statuses in which the customer's money is held or taken: the order is paid (or authorized). */
const PAID: readonly PaymentStatus[] = ['requires_capture', 'succeeded'];
/** Statuses in which the payment will take no money: a decline, a failed 3-D Secure, a cancel, a lapsed authorization. */
const FAILED: readonly PaymentStatus[] = ['requires_payment_method', 'canceled'];

/**
 * The notification a status change calls for, if any. Authorized and then captured is one success
 * (the order was told at the authorization); a failure after an authorization (released, lapsed)
 * is a failure. Waiting for a payment method is a failure only after an attempt failed (a decline,
 * a failed 3-D Secure): a browser-confirmed intent starts out waiting, and nothing has failed yet.
 */
export function notificationFor(from: PaymentStatus, to: PaymentStatus, attemptFailed: boolean): OrderNotificationEvent | null {
  if (PAID.includes(to) && !PAID.includes(from)) return 'payment_succeeded';
  if (to === 'requires_payment_method' && !attemptFailed) return null;
  if (FAILED.includes(to) && !FAILED.includes(from)) return 'payment_failed';
  return null;
}

/** The order status an event sends under a policy; null when the policy sends none. */
export function orderStatusFor(event: OrderNotificationEvent, policy: OrderNotificationPolicy): string | null {
  return event === 'payment_succeeded' ? policy.successStatus : policy.failureStatus;
}

/** The context a payment's forwarded token is sealed under: it opens for that payment only. */
export function forwardedTokenContext(paymentId: string): string {
  return `forwarded-token:${paymentId}`;
}
