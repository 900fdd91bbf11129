import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { ProcessorError, type PaymentProcessor, type ProcessorRefundReason } from '../processors/processor.js';
import type { RefundsRepository } from '../store/refunds-repository.js';
import type { Payment, Refund } from './models.js';
import { assertAmount, formatAmount } from './money.js';
import { assertOperationAllowed } from './payment-state.js';
import type { PaymentService } from './payments.js';
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
  async create(input: { paymentIntentId: string; amount?: unknown; reason?: RefundReason | undefined }): Promise<{ refund: Refund; payment: Payment }> {
    const payment = await this.payments.get(input.paymentIntentId);
    if (input.amount !== undefined) assertAmount(input.amount, payment.currency);
    const reason = input.reason ? processorReason(input.reason) : null;

    const reserved = await this.refunds.reserve(payment.id, { id: randomUUID(), reason }, (state) => {
      assertOperationAllowed('refund', state.status);
      const remaining = state.amountReceived - state.amountReserved;
      if (remaining <= 0) {
        throw new AppError('refund_exceeds_amount', `Payment ${input.paymentIntentId} has already been refunded in full (${formatAmount(state.amountReceived, state.currency)})`, {
          amount_remaining: 0,
        });
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
    });

    try {
      const result = await this.processor.createRefund(
        {
          paymentIntentId: payment.processorPaymentIntentId!,
          amount: reserved.amount,
          reason,
          metadata: { refund_id: reserved.id, payment_id: payment.id, ...(payment.orderId ? { order_id: payment.orderId } : {}) },
        },
        `re-create:${reserved.id}`,
      );
      const refund = await this.refunds.recordOutcome(reserved.id, {
        processorRefundId: result.id,
        status: result.status,
        failureReason: result.failureReason,
      });
      return { refund, payment: await this.payments.get(payment.id) };
    } catch (error) {
      if (error instanceof ProcessorError && !error.outcomeUnknown) {
        // The processor refused it, so the reserved amount is free again.
        await this.refunds.recordOutcome(reserved.id, { processorRefundId: null, status: 'failed', failureReason: error.message });
      }
      throw toAppError(error, 'payment_intent_not_found', this.logger);
    }
  }
}
