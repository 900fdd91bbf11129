import type { LedgerTransaction } from '../../store/simulated-ledger.js';
import type { StripeLikePaymentIntent, StripeLikePaymentMethod, StripeLikeRefund } from '../stripe-shapes.js';
import { recordEvents } from './events.js';
import { stripeLikeId } from './ids.js';
import { invalid, missing, type Outcome } from './outcomes.js';
import { checkStep } from './payment-intents.js';
import { cardOf } from './payment-methods.js';
import { DEFAULT_TEST_CARD, type RefundBehaviour } from './test-cards.js';

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
  const offStep = checkStep(amount, pi.currency, 'amount');
  if (offStep) return offStep;
  const behaviour = await refundBehaviour(tx, pi);
  const refund: StripeLikeRefund = {
    id: stripeLikeId('re'),
    object: 'refund',
    amount,
    currency: pi.currency,
    payment_intent: pi.id,
    reason: params.reason ?? null,
    status: behaviour === 'pending_then_succeeds' ? 'pending' : 'succeeded',
    failure_reason: null,
    metadata: params.metadata ?? {},
    created: timestamp(),
  };
  await tx.insert(refund, 'refund', pi.id);
  // Stripe tells of the charge's new refunded amount and of the refund itself; the charge lists no refunds (API 2022-11-15 on).
  const amountRefunded = refunded + amount;
  const charge = {
    id: pi.latest_charge,
    object: 'charge',
    amount: pi.amount_received,
    amount_refunded: amountRefunded,
    refunded: amountRefunded >= pi.amount_received,
    currency: pi.currency,
    payment_intent: pi.id,
    status: 'succeeded',
    metadata: pi.metadata,
  };
  await recordEvents(tx, ['charge.refunded'], charge, refund.created);
  await recordEvents(tx, ['refund.created'], refund, refund.created);
  return { ok: true, value: refund };
}

/**
 * What Stripe does to a refund "some time later": a pending refund of `pm_card_pendingRefund`
 * succeeds, a succeeded refund of `pm_card_refundFail` fails, each with the events Stripe sends.
 * Answers whether the refund changed; any other refund stays as it is.
 */
export async function settleRefund(tx: LedgerTransaction, refund: StripeLikeRefund, timestamp: number): Promise<boolean> {
  const pi = refund.payment_intent ? await tx.get<StripeLikePaymentIntent>(refund.payment_intent, 'payment_intent') : null;
  const behaviour = pi ? await refundBehaviour(tx, pi) : 'succeeds';
  if (refund.status === 'pending' && behaviour === 'pending_then_succeeds') {
    refund.status = 'succeeded';
    await tx.update(refund, refund.payment_intent);
    await recordEvents(tx, ['charge.refund.updated', 'refund.updated'], refund, timestamp);
    return true;
  }
  if (refund.status === 'succeeded' && behaviour === 'succeeds_then_fails') {
    refund.status = 'failed';
    refund.failure_reason = 'expired_or_canceled_card';
    await tx.update(refund, refund.payment_intent);
    await recordEvents(tx, ['charge.refund.updated', 'refund.updated', 'refund.failed'], refund, timestamp);
    return true;
  }
  return false;
}

async function refundBehaviour(tx: LedgerTransaction, pi: StripeLikePaymentIntent): Promise<RefundBehaviour> {
  // Only the test card's refund behaviour is read: no lock (the card is not changed here).
  const pm = pi.payment_method ? await tx.get<StripeLikePaymentMethod>(pi.payment_method, 'payment_method', 'none') : null;
  return (pm ? cardOf(pm) : DEFAULT_TEST_CARD).onRefund;
}
