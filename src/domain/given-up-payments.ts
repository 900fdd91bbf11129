import { AppError } from '../errors.js';
import type { PaymentOutcome } from '../store/payments-repository.js';
import type { Payment } from './models.js';
import type { PaymentStatus } from './payment-state.js';
import type { PaymentService } from './payments.js';
import type { Logger } from './processor-errors.js';
import type { RefundService } from './refunds.js';

// A payment the service gives up on (declined, 3-D Secure failed) frees its order, but its intent
// stays open at the processor: Stripe.js can still confirm it with the client secret the browser
// holds, with another card. So the intent is canceled at the processor as soon as the service gives
// up (marked, called, recorded; the reconciler finishes what a crash interrupts), and a success the
// processor reports all the same, before the cancel landed, is recorded and, when the order was
// paid meanwhile by another payment, refunded.

/**
 * True for a payment the service has given up on whose intent is still open at the processor: a
 * failed attempt (a decline, a failed 3-D Secure) on an intent the processor made. A decline on a
 * creation the processor refused has no intent to cancel; an intent that never had a payment
 * method has no failure and is not given up.
 */
export function isGivenUp(payment: Payment): boolean {
  // A browser-confirmed payment (no card on its row) is not given up on after a decline: Stripe.js
  // tries another card on the same intent, which keeps holding its order meanwhile.
  return payment.status === 'requires_payment_method' && payment.processorPaymentIntentId !== null && payment.failureCode !== null
    && payment.paymentMethodId !== null;
}

/**
 * A cancel's outcome keeps the failure that led to it when the processor's answer has none (Stripe
 * may clear `last_payment_error` on a later change): a replayed creation is answered the same
 * decline, and the payment still shows why it failed.
 */
export function keepingFailure(outcome: PaymentOutcome, payment: Payment): PaymentOutcome {
  if (outcome.failureCode !== null || outcome.failureMessage !== null) return outcome;
  return { ...outcome, failureCode: payment.failureCode, declineCode: payment.declineCode, failureMessage: payment.failureMessage };
}

/** Statuses in which a superseded payment still holds money or may still take it: it is settled. */
const TO_SETTLE: readonly PaymentStatus[] = ['succeeded', 'requires_capture', 'requires_action', 'requires_confirmation'];

/** True when a payment is superseded (its order has another payment) and still has to be refunded or canceled. */
export function needsSettling(payment: Payment): boolean {
  return payment.supersededBy !== null && payment.pendingOperation === null && TO_SETTLE.includes(payment.status);
}

/**
 * Settles a payment that went live at the processor after its order was paid by another: a success
 * is refunded in full through the refund service (a refund row reserved, a key derived from the
 * payment's row, so a second settlement finds the first refund), an authorization or an intent
 * still awaiting the customer is canceled. The order keeps the payment that held it; this one is
 * never its payment, so nothing is notified for it. Logged as an error: money moved twice.
 */
export class SupersededPaymentService {
  constructor(
    private readonly payments: PaymentService,
    private readonly refunds: RefundService,
    private readonly logger: Logger,
  ) {}

  async settle(payment: Payment): Promise<void> {
    if (!needsSettling(payment)) return;
    const context = {
      paymentId: payment.id, processorPaymentIntentId: payment.processorPaymentIntentId, orderId: payment.orderId,
      supersededBy: payment.supersededBy, status: payment.status, amount: payment.amount, currency: payment.currency,
    };
    if (payment.status === 'succeeded') {
      this.logger.error(context, 'a payment given up on succeeded at the processor after its order was paid by another: refunding it in full');
      try {
        await this.refunds.create({ paymentIntentId: payment.id, reason: 'duplicate' }, { requestKey: `superseded:${payment.id}` });
      } catch (error) {
        // Unreachable: the refund is reserved, and the reconciler settles it. Refused: only a person can.
        if (!(error instanceof AppError && error.code === 'processor_unavailable')) {
          this.logger.error({ ...context, err: error }, 'the automatic refund of a superseded payment was refused; refund it by hand');
        }
        throw error;
      }
      return;
    }
    this.logger.error(context, 'a payment given up on went live at the processor after its order was paid by another: canceling it');
    await this.payments.cancel(payment.id);
  }
}
