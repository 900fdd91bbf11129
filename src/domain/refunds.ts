import { AppError } from '../errors.js';
import { ProcessorError, type PaymentProcessor, type ProcessorRefundReason } from '../processors/processor.js';
import type { RefundsRepository } from '../store/refunds-repository.js';
import { rowIdFor } from './ids.js';
import type { Payment, Refund } from './models.js';
import { assertAmount, formatAmount } from './money.js';
import { assertOperationAllowed } from './payment-state.js';
import { needsResolution } from './payment-outcomes.js';
import { REPLAY_WINDOW_MS, type PaymentService, type RequestContext } from './payments.js';
import { toAppError, type Logger } from './processor-errors.js';

/** Reasons a client may give: the API document's `customer_requested` and Stripe's own three. */
export const REFUND_REASONS = ['customer_requested', 'requested_by_customer', 'duplicate', 'fraudulent'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

function processorReason(reason: RefundReason): ProcessorRefundReason {
  return reason === 'customer_requested' ? 'requested_by_customer' : reason;
}

export class RefundService {
  constructor(
    private readonly payments: PaymentService,
    private readonly refunds: RefundsRepository,
    private readonly processor: PaymentProcessor,
    private readonly logger: Logger,
  ) {}

  /**
   * Refunds all or part of a succeeded payment. The refund row is reserved under the payment's lock
   * (so refunds together never pass what was captured), then the processor is called with a key
   * derived from the row, then its answer is recorded.
   */
  async create(
    input: { paymentIntentId: string; amount?: unknown; reason?: RefundReason | undefined },
    context: RequestContext = {},
  ): Promise<{ refund: Refund; payment: Payment }> {
    let payment = await this.payments.get(input.paymentIntentId);
    if (input.amount !== undefined) assertAmount(input.amount, payment.currency);
    if (needsResolution(payment)) payment = await this.payments.resolve(payment, 'reconciler');
    const reason = input.reason ? processorReason(input.reason) : null;

    const reserved = await this.refunds.reserve(
      payment.id,
      { id: rowIdFor(context.requestKey && `refund:${context.requestKey}`), reason },
      (state) => {
        assertOperationAllowed('refund', state.status);
        const remaining = state.amountReceived - state.amountReserved;
        if (remaining <= 0) {
          throw new AppError(
            'refund_exceeds_amount',
            `Payment ${input.paymentIntentId} has already been refunded in full (${formatAmount(state.amountReceived, state.currency)})`,
            { amount_remaining: 0 },
          );
        }
        const amount = (input.amount as number | undefined) ?? remaining;
        if (amount > remaining) {
          throw new AppError(
            'refund_exceeds_amount',
            `amount ${amount} is more than the ${remaining} (${formatAmount(remaining, state.currency)}) left to refund on payment ${input.paymentIntentId}`,
            { param: 'amount', amount_remaining: remaining },
          );
        }
        return amount;
      },
    );
    const refund = reserved.created || reserved.refund.status === 'unknown' ? await this.send(reserved.refund, payment) : reserved.refund;
    return { refund, payment: await this.payments.get(payment.id) };
  }

  async list(paymentIntentId: string): Promise<{ payment: Payment; refunds: Refund[] }> {
    const payment = await this.payments.get(paymentIntentId);
    return { payment, refunds: await this.refunds.listForPayment(payment.id) };
  }

  /** Asks the processor what became of a refund whose outcome is unknown or pending, and records it. */
  async resolve(refund: Refund): Promise<Refund> {
    if (refund.processorRefundId === null) {
      if (Date.now() - refund.createdAt.getTime() > REPLAY_WINDOW_MS) {
        // The processor has forgotten the key by now: sending it again could refund a second time.
        this.logger.error({ refundId: refund.id }, 'refund outcome unknown for too long to send it again safely; reconcile it by hand');
        return refund;
      }
      return this.send(refund, await this.payments.get(refund.paymentId));
    }
    try {
      const result = await this.processor.retrieveRefund(refund.processorRefundId);
      return await this.refunds.recordOutcome(refund.id, { processorRefundId: result.id, status: result.status, failureReason: result.failureReason });
    } catch (error) {
      throw toAppError(error, 'refund_not_found', this.logger);
    }
  }

  /** Sends a reserved refund to the processor (again, with the same key, when resumed) and records the answer. */
  private async send(refund: Refund, payment: Payment): Promise<Refund> {
    try {
      const result = await this.processor.createRefund(
        {
          paymentIntentId: payment.processorPaymentIntentId!,
          amount: refund.amount,
          reason: refund.reason as ProcessorRefundReason | null,
          metadata: { refund_id: refund.id, payment_id: payment.id, ...(payment.orderId ? { order_id: payment.orderId } : {}) },
        },
        `re-create:${refund.id}`,
      );
      return await this.refunds.recordOutcome(refund.id, { processorRefundId: result.id, status: result.status, failureReason: result.failureReason });
    } catch (error) {
      if (error instanceof ProcessorError && !error.outcomeUnknown) {
        // The processor refused it, so the reserved amount is free again.
        await this.refunds.recordOutcome(refund.id, { processorRefundId: null, status: 'failed', failureReason: error.message });
      }
      const appError = toAppError(error, 'payment_intent_not_found', this.logger);
      if (appError instanceof AppError && appError.code === 'processor_unavailable') {
        throw new AppError(
          'processor_unavailable',
          'The payment processor could not be reached; the refund is reserved and the service settles it. ' +
            'Check it with GET /payment/refunds?paymentIntentId={payment_intent_id}',
          { payment_intent_id: payment.processorPaymentIntentId, refund_id: refund.id },
        );
      }
      throw appError;
    }
  }
}
