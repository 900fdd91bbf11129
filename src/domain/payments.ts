import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import { ProcessorError, type PaymentProcessor, type ProcessorPaymentIntent } from '../processors/processor.js';
import type { PaymentMethodsRepository } from '../store/payment-methods-repository.js';
import type { PaymentOutcome, PaymentsRepository } from '../store/payments-repository.js';
import type { CustomerService } from './customers.js';
import type { CaptureMethod, Payment } from './models.js';
import { assertAmount, assertChargeable, normalizeCurrency } from './money.js';
import { canTransition, PAYMENT_STATUSES, type PaymentStatus } from './payment-state.js';
import { toAppError, type Logger } from './processor-errors.js';

export interface CreatePaymentInput {
  amount: unknown;
  currency?: string | undefined;
  customerId: string;
  paymentMethodId: string;
  orderId?: string | undefined;
  description?: string | undefined;
  returnUrl?: string | undefined;
  captureMethod?: CaptureMethod | undefined;
}

/** The statuses from which the transition table allows a move to `to`. */
export function statusesThatCanBecome(to: PaymentStatus): PaymentStatus[] {
  return PAYMENT_STATUSES.filter((from) => canTransition(from, to));
}

export function outcomeFromIntent(intent: ProcessorPaymentIntent): PaymentOutcome {
  return {
    processorPaymentIntentId: intent.id,
    status: intent.status,
    amountCapturable: intent.amountCapturable,
    amountReceived: intent.amountReceived,
    clientSecret: intent.clientSecret,
    nextAction: intent.nextAction,
    failureCode: intent.lastError?.code ?? null,
    declineCode: intent.lastError?.declineCode ?? null,
    failureMessage: intent.lastError?.message ?? null,
    captureBefore: intent.captureBefore,
  };
}

export class PaymentService {
  constructor(
    private readonly customers: CustomerService,
    private readonly cards: PaymentMethodsRepository,
    private readonly payments: PaymentsRepository,
    private readonly processor: PaymentProcessor,
    private readonly logger: Logger,
  ) {}

  /**
   * Charges a customer's card: validate, write the payment (status `unknown`), call the processor
   * with a key derived from that row, record its answer. A declined card is recorded and reported
   * as `card_declined`; an unreachable processor leaves the row `unknown` for reconciliation.
   */
  async create(input: CreatePaymentInput): Promise<Payment> {
    const currency = normalizeCurrency(input.currency);
    const amount = assertAmount(input.amount, currency);
    assertChargeable(amount, currency);
    const customer = await this.customers.getByCustomerId(input.customerId);
    const card = await this.cards.get(input.paymentMethodId);
    if (card && card.customerId !== customer.id) {
      throw new AppError('payment_method_not_found', `Customer ${input.customerId} has no payment method ${input.paymentMethodId}`);
    }

    const inserted = await this.payments.insertPending({
      id: randomUUID(),
      processor: this.processor.name,
      customerId: customer.id,
      paymentMethodId: input.paymentMethodId,
      orderId: input.orderId ?? null,
      amount,
      currency,
      captureMethod: input.captureMethod ?? 'automatic',
      description: input.description ?? null,
      returnUrl: input.returnUrl ?? null,
    });
    if ('heldBy' in inserted) throw orderAlreadyPaid(input.orderId!, inserted.heldBy);
    const payment = inserted.payment;

    let intent: ProcessorPaymentIntent;
    try {
      intent = await this.processor.createPaymentIntent(
        {
          amount,
          currency,
          customerId: customer.processorCustomerId,
          paymentMethodId: input.paymentMethodId,
          captureMethod: payment.captureMethod,
          description: payment.description ?? (payment.orderId ? `CommuneDrop order ${payment.orderId}` : null),
          returnUrl: payment.returnUrl,
          metadata: {
            payment_id: payment.id,
            customer_id: customer.processorCustomerId,
            ...(payment.orderId ? { order_id: payment.orderId } : {}),
          },
        },
        `pi-create:${payment.id}`,
      );
    } catch (error) {
      throw await this.recordFailure(payment, error);
    }
    const recorded = await this.record(payment, outcomeFromIntent(intent));
    if (recorded.status === 'requires_payment_method' && recorded.failureMessage) throw declined(recorded);
    return recorded;
  }

  /** Finds a payment by the processor's id (pi_...) or our own. */
  async get(paymentIntentId: string): Promise<Payment> {
    const payment = paymentIntentId.startsWith('pi_')
      ? await this.payments.findByProcessorId(paymentIntentId)
      : isUuid(paymentIntentId)
        ? await this.payments.findById(paymentIntentId)
        : null;
    if (!payment) throw paymentIntentNotFound(paymentIntentId);
    return payment;
  }

  /** Records an outcome through the transition table; a concurrent writer that got there first wins. */
  async record(payment: Payment, outcome: PaymentOutcome): Promise<Payment> {
    const result = await this.payments.recordOutcome(payment.id, statusesThatCanBecome(outcome.status), outcome);
    if (!result.updated && result.payment.status !== outcome.status) {
      this.logger.warn(
        { paymentId: payment.id, current: result.payment.status, reported: outcome.status },
        'ignored a processor outcome the state machine does not allow',
      );
    }
    return result.payment;
  }

  /**
   * A processor call that failed: when the processor certainly did nothing, the attempt is closed
   * (canceled, with the reason); when the outcome is unknown, the row stays `unknown`.
   */
  private async recordFailure(payment: Payment, error: unknown): Promise<unknown> {
    if (error instanceof ProcessorError && !error.outcomeUnknown) {
      const declinedCard = error.kind === 'card_declined';
      const recorded = await this.record(payment, {
        processorPaymentIntentId: null,
        status: declinedCard ? 'requires_payment_method' : 'canceled',
        amountCapturable: 0,
        amountReceived: 0,
        clientSecret: null,
        nextAction: null,
        failureCode: error.code ?? error.kind,
        declineCode: error.declineCode,
        failureMessage: error.message,
        captureBefore: null,
      });
      if (declinedCard) return declined(recorded);
    }
    return toAppError(error, 'payment_method_not_found', this.logger);
  }
}

/** The answer for a payment that is not there, or not the caller's to see: the two must not differ. */
export function paymentIntentNotFound(paymentIntentId: string): AppError {
  return new AppError('payment_intent_not_found', `No payment intent ${paymentIntentId}`);
}

function declined(payment: Payment): AppError {
  return new AppError('card_declined', payment.failureMessage ?? 'Your card was declined.', {
    decline_code: payment.declineCode ?? payment.failureCode ?? 'generic_decline',
    payment_intent_id: payment.processorPaymentIntentId,
  });
}

function orderAlreadyPaid(orderId: string, holder: Payment | null): AppError {
  const state = holder?.status === 'succeeded' ? 'has already been paid' : `already has a payment that is ${holder?.status ?? 'in progress'}`;
  return new AppError('order_already_paid', `Order ${orderId} ${state}; it cannot be charged twice`, {
    payment_intent_id: holder?.processorPaymentIntentId ?? null,
    status: holder?.status ?? 'unknown',
  });
}

function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
