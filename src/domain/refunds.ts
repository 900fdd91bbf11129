import { AppError } from '../errors.js';
import { ProcessorError, type PaymentProcessor, type ProcessorRefund, type ProcessorRefundReason } from '../processors/processor.js';
import type { RefundsRepository } from '../store/refunds-repository.js';
import { isUuid, rowIdFor } from './ids.js';
import type { Payment, Refund } from './models.js';
import { assertAmount, formatAmount } from './money.js';
import { assertOperationAllowed } from './payment-state.js';
import { needsResolution } from './payment-outcomes.js';
import { REPLAY_WINDOW_MS, type PaymentService, type RequestContext } from './payments.js';
import { toAppError, type Logger } from './processor-errors.js';
import { processorKey } from './processor-keys.js';
import { isFailureAfterSuccess, refundStatusesThatCanBecome } from './refund-state.js';

/** Reasons a client may give: the API document's `customer_requested` and Stripe's own three. */
export const REFUND_REASONS = ['customer_requested', 'requested_by_customer', 'duplicate', 'fraudulent'] as const;
export type RefundReason = (typeof REFUND_REASONS)[number];

function processorReason(reason: RefundReason): ProcessorRefundReason {
  return reason === 'customer_requested' ? 'requested_by_customer' : reason;
}

/** A refund names its payment by paymentIntentId or by orderId: one of them, not both. */
function assertOneTarget(input: { paymentIntentId?: string | undefined; orderId?: string | undefined }): void {
  if ((input.paymentIntentId === undefined) === (input.orderId === undefined)) {
    throw new AppError('validation_failed', 'Send paymentIntentId, or orderId to refund what is left of that order\'s payment (one of them, not both)', {
      param: 'paymentIntentId',
    });
  }
}

function idempotencyKeyRequired(): AppError {
  return new AppError(
    'idempotency_key_required',
    'Send an Idempotency-Key header (a new UUID per refund, the same one when retrying it), so that a retried refund can never ' +
      'refund twice; only the Order Service\'s {orderId} form, which refunds the whole order once, needs none',
    { param: 'Idempotency-Key' },
  );
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
    input: { paymentIntentId?: string | undefined; orderId?: string | undefined; amount?: unknown; reason?: RefundReason | undefined },
    context: RequestContext = {},
  ): Promise<{ refund: Refund; payment: Payment }> {
    assertOneTarget(input);
    // The Order Service's form ({orderId} alone) refunds the whole order once: its row id derives
    // from the payment, so calling again finds the same refund instead of making another. Any other
    // refund needs the caller's key: without one, a retry after a timeout would refund twice.
    const wholeOrder = input.orderId !== undefined && input.amount === undefined;
    if (context.requestKey === undefined && !wholeOrder) throw idempotencyKeyRequired();
    let payment = await this.paymentToRefund(input);
    if (input.amount !== undefined) assertAmount(input.amount, payment.currency);
    if (needsResolution(payment)) payment = await this.payments.resolve(payment, 'reconciler');
    const reason = input.reason ? processorReason(input.reason) : null;
    const requestKey = context.requestKey ?? `order:${payment.id}`;

    const reserved = await this.refunds.reserve(
      payment.id,
      { id: rowIdFor(requestKey && `refund:${requestKey}`), reason },
      (state) => {
        assertOperationAllowed('refund', state.status);
        const remaining = state.amountReceived - state.amountReserved;
        if (remaining <= 0) {
          throw new AppError(
            'refund_exceeds_amount',
            `Payment ${payment.processorPaymentIntentId} has already been refunded in full (${formatAmount(state.amountReceived, state.currency)})`,
            { amount_remaining: 0 },
          );
        }
        const amount = (input.amount as number | undefined) ?? remaining;
        if (amount > remaining) {
          throw new AppError(
            'refund_exceeds_amount',
            `amount ${amount} is more than the ${remaining} (${formatAmount(remaining, state.currency)}) left to refund on payment ${payment.processorPaymentIntentId}`,
            { param: 'amount', amount_remaining: remaining },
          );
        }
        return amount;
      },
    );
    const refund = reserved.created || reserved.refund.status === 'unknown' ? await this.send(reserved.refund, payment) : reserved.refund;
    return { refund, payment: await this.payments.get(payment.id) };
  }

  /** The payment a refund names: by its id, or the order's payment (the one that holds the order). */
  private async paymentToRefund(input: { paymentIntentId?: string | undefined; orderId?: string | undefined }): Promise<Payment> {
    if (input.paymentIntentId !== undefined) return this.payments.get(input.paymentIntentId);
    const payment = await this.payments.findForOrder(input.orderId!);
    if (!payment) throw new AppError('order_not_found', `Order ${input.orderId} has no payment to refund`);
    return payment;
  }

  async list(paymentIntentId: string): Promise<{ payment: Payment; refunds: Refund[] }> {
    const payment = await this.payments.get(paymentIntentId);
    return { payment, refunds: await this.refunds.listForPayment(payment.id) };
  }

  /**
   * Asks the processor what became of a refund and records it: one never answered is sent again
   * with its key (or looked up, when it is too old to send), a known one is retrieved (unknown,
   * pending, or succeeded and still watched for a late failure).
   */
  async resolve(refund: Refund): Promise<Refund> {
    try {
      if (refund.processorRefundId === null) {
        const payment = await this.payments.get(refund.paymentId);
        if (Date.now() - refund.createdAt.getTime() <= REPLAY_WINDOW_MS) return await this.send(refund, payment);
        // The processor has forgotten the key by now: sending it again could refund a second time.
        const found = await this.processor.findRefundByMetadata(payment.processorPaymentIntentId!, { refund_id: refund.id });
        if (found) return await this.record(refund, found);
        this.logger.error({ refundId: refund.id }, 'refund outcome unknown for too long to send it again safely, and the processor has no such refund; reconcile it by hand');
        return refund;
      }
      return await this.record(refund, await this.processor.retrieveRefund(refund.processorRefundId));
    } catch (error) {
      throw toAppError(error, 'refund_not_found', this.logger);
    }
  }

  /**
   * Records a refund as the processor reports it (an answer, a look by the reconciler, or an event),
   * through the refund table. Found by the processor's id, or by our row id in its metadata when
   * the answer that would have told us the id was lost. A refund reported failed after it had
   * succeeded gives its amount back to what can be refunded, and is logged as an error for the
   * operator: the customer did not get the money. Null for a refund this service did not make.
   */
  async recordProcessorRefund(reported: ProcessorRefund): Promise<Refund | null> {
    const row = await this.rowOf(reported);
    if (!row) {
      this.logger.warn({ processorRefundId: reported.id }, 'the processor reported a refund this service did not make; ignored');
      return null;
    }
    return this.record(row, reported);
  }

  /**
   * Records a refund an event reports: one of ours through the refund table; one made at the
   * processor without us (in Stripe's Dashboard) on a payment of ours as a new row, so that what
   * was refunded stays right. Null when the payment is not ours either.
   */
  async recordReportedRefund(reported: ProcessorRefund): Promise<{ refund: Refund; made: 'here' | 'elsewhere'; changed: boolean } | null> {
    const row = await this.rowOf(reported);
    if (row) {
      const refund = await this.record(row, reported);
      return { refund, made: 'here', changed: refund.status !== row.status || refund.processorRefundId !== row.processorRefundId };
    }
    const payment = reported.paymentIntentId ? await this.payments.get(reported.paymentIntentId).catch(() => null) : null;
    if (!payment) return null;
    const inserted = await this.refunds.insertProcessorRefund({
      // Derived from the processor's id: two events about one refund write one row.
      id: rowIdFor(`processor-refund:${reported.id}`),
      paymentId: payment.id,
      processorRefundId: reported.id,
      amount: reported.amount,
      currency: reported.currency,
      reason: null,
      status: reported.status,
      failureReason: reported.failureReason,
    });
    if (inserted.created) {
      this.logger.warn(
        { refundId: inserted.refund.id, processorRefundId: reported.id, paymentId: payment.id, amount: reported.amount, currency: reported.currency },
        'recorded a refund made at the processor outside this service (the Dashboard)',
      );
      return { refund: inserted.refund, made: 'elsewhere', changed: true };
    }
    const refund = await this.record(inserted.refund, reported);
    return { refund, made: 'elsewhere', changed: refund.status !== inserted.refund.status };
  }

  /** Our row of a refund the processor reports: by its id, or by our row id in its metadata when the answer that told us its id was lost. */
  private async rowOf(reported: ProcessorRefund): Promise<Refund | null> {
    const byId = await this.refunds.findByProcessorId(reported.id);
    const ours = reported.metadata['refund_id'];
    const byMetadata = !byId && ours && isUuid(ours) ? await this.refunds.findById(ours) : null;
    return byId ?? (byMetadata && byMetadata.processorRefundId === null ? byMetadata : null);
  }

  private async record(refund: Refund, reported: ProcessorRefund): Promise<Refund> {
    const outcome = { processorRefundId: reported.id, status: reported.status, failureReason: reported.failureReason };
    const result = await this.refunds.recordOutcome(refund.id, refundStatusesThatCanBecome(outcome.status), outcome, refund.status);
    if (result.updated && isFailureAfterSuccess(result.previous, outcome.status)) {
      this.logger.error(
        {
          refundId: refund.id, processorRefundId: reported.id, paymentId: refund.paymentId,
          amount: refund.amount, currency: refund.currency, failureReason: reported.failureReason,
        },
        'a refund the processor had reported succeeded has failed: the customer did not get the money back, and the amount can be refunded again',
      );
    } else if (!result.updated && result.refund.status !== outcome.status) {
      this.logger.warn(
        { refundId: refund.id, current: result.refund.status, reported: outcome.status },
        'ignored a refund status the refund table does not allow',
      );
    }
    return result.refund;
  }

  /**
   * Sends a reserved refund to the processor (again, with the same key, when resumed) and records
   * the answer. When the key only replays a stored failure, the refund is looked up instead, and
   * sent once more under a fresh key only when the processor has none.
   */
  private async send(refund: Refund, payment: Payment, freshKeyAlreadyTried = false): Promise<Refund> {
    try {
      try {
        const result = await this.processor.createRefund(
          {
            paymentIntentId: payment.processorPaymentIntentId!,
            amount: refund.amount,
            reason: refund.reason as ProcessorRefundReason | null,
            metadata: { refund_id: refund.id, payment_id: payment.id, ...(payment.orderId ? { order_id: payment.orderId } : {}) },
          },
          refund.createAttempt === 0 ? processorKey('re-create', refund.id) : processorKey('re-create', refund.id, refund.createAttempt),
        );
        return await this.record(refund, result);
      } catch (error) {
        if (!(error instanceof ProcessorError && error.replayedFailure)) throw error;
        // A lookup that fails leaves the refund unknown, as the replayed failure did.
        const found = await this.processor.findRefundByMetadata(payment.processorPaymentIntentId!, { refund_id: refund.id }).catch(() => {
          throw error;
        });
        if (found) return await this.record(refund, found);
        const next = freshKeyAlreadyTried ? null : await this.refunds.nextCreateAttempt(refund.id, refund.createAttempt);
        if (!next) throw error;
        return await this.send(next, payment, true);
      }
    } catch (error) {
      if (error instanceof ProcessorError && !error.outcomeUnknown) {
        // The processor refused it, so the reserved amount is free again.
        await this.refunds.recordOutcome(refund.id, ['unknown'], { processorRefundId: null, status: 'failed', failureReason: error.message });
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
      // Left unresolved for another reason (the processor refused our key): the answer still names the refund to follow.
      if (appError instanceof AppError && error instanceof ProcessorError && error.outcomeUnknown) {
        throw new AppError(appError.code, appError.message, { ...appError.details, payment_intent_id: payment.processorPaymentIntentId, refund_id: refund.id });
      }
      throw appError;
    }
  }
}
