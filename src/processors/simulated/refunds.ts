import type { LedgerTransaction } from '../../store/simulated-ledger.js';
import type { StripeLikePaymentIntent, StripeLikeRefund } from '../stripe-shapes.js';
import { stripeLikeId } from './ids.js';
import { invalid, missing, type Outcome } from './outcomes.js';

export interface CreateRefundParams {
  payment_intent: string;
  amount?: number | undefined;
  reason?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

const REFUND_REASONS = new Set(['duplicate', 'fraudulent', 'requested_by_customer']);

/** Refunds all (or `amount` of) what a succeeded intent received and is not refunded yet. */
export async function refundPaymentIntent(
  tx: LedgerTransaction,
  params: CreateRefundParams,
  timestamp: () => number,
): Promise<Outcome<StripeLikeRefund>> {
  const pi = await tx.get<StripeLikePaymentIntent>(params.payment_intent, 'payment_intent');
  if (!pi) return missing('payment_intent', params.payment_intent);
  if (params.reason !== undefined && !REFUND_REASONS.has(params.reason)) {
    return invalid(`Invalid reason: must be one of ${[...REFUND_REASONS].join(', ')}`, 'reason');
  }
  if (pi.status !== 'succeeded') {
    return invalid(`This PaymentIntent (${pi.id}) does not have a successful charge to refund.`, 'payment_intent', 'charge_not_refundable');
  }
  const earlier = await tx.find<StripeLikeRefund>('refund', pi.id, 10_000);
  const refunded = earlier
    .filter((r) => r.status === 'succeeded' || r.status === 'pending')
    .reduce((sum, r) => sum + r.amount, 0);
  const remaining = pi.amount_received - refunded;
  if (remaining <= 0) return invalid(`Charge for ${pi.id} has already been refunded.`, undefined, 'charge_already_refunded');
  const amount = params.amount ?? remaining;
  if (!Number.isInteger(amount) || amount <= 0 || amount > remaining) {
    return invalid(
      `Refund amount (${amount}) is greater than unrefunded amount on charge (${remaining})`,
      'amount',
      'amount_too_large',
    );
  }
  const refund: StripeLikeRefund = {
    id: stripeLikeId('re'),
    object: 'refund',
    amount,
    currency: pi.currency,
    payment_intent: pi.id,
    reason: params.reason ?? null,
    status: 'succeeded',
    failure_reason: null,
    metadata: params.metadata ?? {},
    created: timestamp(),
  };
  await tx.insert(refund, 'refund', pi.id);
  return { ok: true, value: refund };
}
