import { REFUND_STATUSES, type RefundStatus } from './models.js';

/**
 * The one table of refund moves, like the payments' in payment-state.ts. A status may always be
 * "moved" to itself (a repeated answer or event). `unknown` resolves to whatever the processor says.
 * A card refund Stripe reported `succeeded` can still become `failed` later (a closed or expired
 * card): the customer never got the money, and the amount is refundable again.
 */
const REFUND_TRANSITIONS: Readonly<Record<RefundStatus, readonly RefundStatus[]>> = {
  unknown: ['pending', 'requires_action', 'succeeded', 'failed', 'canceled'],
  pending: ['requires_action', 'succeeded', 'failed', 'canceled'],
  requires_action: ['pending', 'succeeded', 'failed', 'canceled'],
  succeeded: ['failed'],
  failed: [],
  canceled: [],
};

export function canRefundTransition(from: RefundStatus, to: RefundStatus): boolean {
  return from === to || REFUND_TRANSITIONS[from].includes(to);
}

/** The statuses from which the table allows a refund to become `to`. */
export function refundStatusesThatCanBecome(to: RefundStatus): RefundStatus[] {
  return REFUND_STATUSES.filter((from) => canRefundTransition(from, to));
}

/** True for a move the operator must hear about: money we told the customer was returned, was not. */
export function isFailureAfterSuccess(from: RefundStatus, to: RefundStatus): boolean {
  return from === 'succeeded' && to === 'failed';
}
