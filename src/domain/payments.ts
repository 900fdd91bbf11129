import type { Principal } from '../auth/principal.js';
import { AppError } from '../errors.js';
import { ProcessorError, type PaymentProcessor, type ProcessorPaymentIntent } from '../processors/processor.js';
import type { PaymentMethodsRepository } from '../store/payment-methods-repository.js';
import type { ListCursor, NewPayment, PaymentEventSource, PaymentFilter, PaymentOutcome, PaymentsRepository } from '../store/payments-repository.js';
import type { CustomerService } from './customers.js';
import { isGivenUp, keepingFailure, needsSettling } from './given-up-payments.js';
import { isUuid, rowIdFor } from './ids.js';
import type { CaptureMethod, Payment } from './models.js';
import { assertAmount, assertChargeAmount, formatAmount, normalizeCurrency } from './money.js';
import { answerFor, declined, orderAlreadyPaid, outcomeUnknown, paymentIntentNotFound } from './payment-answers.js';
import { awaitsBrowser, awaitsCustomer, needsResolution, outcomeFromIntent, outcomeFromRefusal } from './payment-outcomes.js';
import { creationKey, findCreatedIntent, paymentIntentRequest } from './payment-requests.js';
import { assertOperationAllowed, statusesThatCanBecome } from './payment-state.js';
import { NO_TERMS, type PaymentTerms, type PaymentTermsPolicy } from './payment-terms.js';
import { toAppError, type Logger } from './processor-errors.js';
import { processorKey } from './processor-keys.js';

export interface CreatePaymentInput {
  amount: unknown;
  currency?: string | undefined;
  customerId: string;
  paymentMethodId: string;
  orderId?: string | undefined;
  description?: string | undefined;
  returnUrl?: string | undefined;
  captureMethod?: CaptureMethod | undefined;
  /** The delivery fee quote the amount must equal (POST /payment/delivery-fee). */
  quoteId?: string | undefined;
  /** "delivery": with captureMethod manual, captured when the order's delivery is reported. */
  captureOn?: 'delivery' | undefined;
}

/** Stripe's browser-confirmed flow: no card yet; Stripe.js confirms the intent with its client secret. */
export interface BrowserPaymentInput {
  amount: unknown;
  currency?: string | undefined;
  customerId: string;
  orderId?: string | undefined;
  description?: string | undefined;
  captureMethod?: CaptureMethod | undefined;
  /** The delivery fee quote the amount must equal (POST /payment/delivery-fee). */
  quoteId?: string | undefined;
  /** "delivery": with captureMethod manual, captured when the order's delivery is reported. */
  captureOn?: 'delivery' | undefined;
}

/** Who asks: the caller's idempotency key (scoped to the caller), and the bearer token to forward to the Order Service. */
export interface RequestContext {
  requestKey?: string | undefined;
  bearerToken?: string | undefined;
  /** The caller's W3C traceparent, carried to the payment's notification. */
  traceparent?: string | undefined;
  /** Who calls: REQUIRE_QUOTE holds customers to a quote. */
  principal?: Principal | null | undefined;
  /**
   * True when the caller pays as the customer itself (a user token on its own records, not by a
   * role or a scope): the payment holds its order against that customer only, and a 409 names no
   * other customer's payment.
   */
  asCustomer?: boolean | undefined;
}

/**
 * Stripe keeps idempotency keys for 24 hours. A payment whose creation never got an answer and is
 * older than this is not re-sent blindly (it could charge anew); it is left for a person.
 */
export const REPLAY_WINDOW_MS = 23 * 60 * 60 * 1000;

/** A payment still waiting for the customer (3-D Secure) after this is abandoned: canceled, freeing its order. */
const ABANDON_AFTER_MS = 24 * 60 * 60 * 1000;

export class PaymentService {
  private settleSuperseded: ((payment: Payment) => Promise<unknown>) | null = null;

  constructor(
    private readonly customers: CustomerService,
    private readonly cards: PaymentMethodsRepository,
    private readonly payments: PaymentsRepository,
    private readonly processor: PaymentProcessor,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
    /** Seals the paying request's token for the Order Service's notification; null when notifications are off. */
    private readonly sealForwardedToken: ((paymentId: string, token: string) => string) | null = null,
    /** Quotes and capture on delivery (src/domain/deliveries.ts); null: no such terms. */
    private readonly terms: PaymentTermsPolicy | null = null,
  ) {}

  /** Who settles a payment recorded as superseded (refunds a late success): the services wire it, the refund service being built on this one. */
  whenSuperseded(settle: (payment: Payment) => Promise<unknown>): void {
    this.settleSuperseded = settle;
  }

  /**
   * Charges a customer's card: validate, write the payment (status `unknown`), call the processor
   * with a key derived from that row, record its answer. A declined card is recorded and reported
   * as `card_declined`; an unreachable processor leaves the row `unknown` for the reconciler. A
   * retried request (same idempotency key) resumes the payment its first attempt wrote.
   */
  async create(input: CreatePaymentInput, context: RequestContext = {}, retriedAfterRefresh = false): Promise<Payment> {
    const currency = normalizeCurrency(input.currency);
    const amount = assertChargeAmount(input.amount, currency);
    assertRetryable(input.orderId, context);
    const terms = await this.termsOf(input, amount, currency, input.captureMethod ?? 'automatic', context);
    const [customer, card] = await Promise.all([this.customers.getByCustomerId(input.customerId), this.cards.get(input.paymentMethodId)]);
    if (card && card.customerId !== customer.id) {
      throw new AppError('payment_method_not_found', `Customer ${input.customerId} has no payment method ${input.paymentMethodId}`);
    }

    const inserted = await this.writePending(context, {
      customerId: customer.id,
      paymentMethodId: input.paymentMethodId,
      orderId: input.orderId ?? null,
      amount,
      currency,
      captureMethod: input.captureMethod ?? 'automatic',
      description: input.description ?? null,
      returnUrl: input.returnUrl ?? null,
      ...terms,
    });
    if ('heldBy' in inserted) {
      // A holder waiting for the customer may have moved on at the processor (3-D Secure failed or
      // was abandoned): look once, and if the order is free now, try again.
      const holder = inserted.heldBy;
      if (holder && (holder.status === 'requires_action' || holder.status === 'requires_confirmation') && !retriedAfterRefresh) {
        const refreshed = await this.resolve(holder, 'reconciler').catch(() => holder);
        if (refreshed.status !== holder.status) return this.create(input, context, true);
      }
      // A browser-confirmed payment still waiting for its card gives way to this one (canceled first).
      if (holder && mayReplace(holder, customer.id, context) && !retriedAfterRefresh && (await this.releaseBrowserHolder(holder))) {
        return this.create(input, context, true);
      }
      throw orderAlreadyPaid(input.orderId!, holder, holder !== null && seesHolder(holder, customer.id, context));
    }
    if ('existing' in inserted) {
      const existing = inserted.existing;
      if (
        existing.amount !== amount || existing.currency !== currency || existing.customerId !== customer.id ||
        existing.paymentMethodId !== input.paymentMethodId || existing.orderId !== (input.orderId ?? null)
      ) {
        throw new AppError('idempotency_error', 'This idempotency key was first used for a different payment; use a new key for a new payment');
      }
      // A retry finds the first attempt's row: it is answered as the first attempt would have been.
      return answerFor(existing.status === 'unknown' ? await this.resolve(existing, 'request') : existing);
    }
    return answerFor(await this.confirm(inserted.payment, 'request'));
  }

  /**
   * Stripe's browser-confirmed flow: writes the payment without a card (status `unknown`), creates
   * an unconfirmed intent with a key derived from the row, records it (`requires_payment_method`)
   * and answers it with its client secret, for Stripe.js to confirm in the browser. The outcome
   * reaches the row as every other one does: a status poll, the reconciler, the processor's webhook.
   * The order is held meanwhile (migration 010): the same request again (same key, or same order,
   * customer, amount and currency) answers the intent already made; a different one cancels it first.
   */
  async createAwaitingPaymentMethod(input: BrowserPaymentInput, context: RequestContext = {}, replaced = false): Promise<Payment> {
    const currency = normalizeCurrency(input.currency);
    const amount = assertChargeAmount(input.amount, currency);
    const captureMethod = input.captureMethod ?? 'automatic';
    assertRetryable(input.orderId, context);
    const terms = await this.termsOf(input, amount, currency, captureMethod, context);
    const customer = await this.customers.getByCustomerId(input.customerId);
    const inserted = await this.writePending(context, {
      customerId: customer.id,
      paymentMethodId: null,
      orderId: input.orderId ?? null,
      amount,
      currency,
      captureMethod,
      description: input.description ?? null,
      returnUrl: null,
      ...terms,
    });
    const sameRequest = (p: Payment) =>
      p.amount === amount && p.currency === currency && p.customerId === customer.id && p.captureMethod === captureMethod &&
      p.paymentMethodId === null && p.orderId === (input.orderId ?? null);
    if ('heldBy' in inserted) {
      const holder = inserted.heldBy && (await this.status(inserted.heldBy.id));
      if (holder && awaitsBrowser(holder) && sameRequest(holder)) return holder;
      if (holder && mayReplace(holder, customer.id, context) && !replaced && (await this.releaseBrowserHolder(holder))) {
        return this.createAwaitingPaymentMethod(input, context, true);
      }
      const current = await this.payments.findHolder(input.orderId!, customer.id);
      throw orderAlreadyPaid(input.orderId!, current, current !== null && seesHolder(current, customer.id, context));
    }
    if ('existing' in inserted) {
      const existing = inserted.existing;
      if (!sameRequest(existing)) {
        throw new AppError('idempotency_error', 'This idempotency key was first used for a different payment; use a new key for a new payment');
      }
      const current = existing.status === 'unknown' ? await this.resolve(existing, 'request') : existing;
      return awaitsBrowser(current) ? current : answerFor(current);
    }
    const created = await this.confirm(inserted.payment, 'request');
    return awaitsBrowser(created) ? created : answerFor(created);
  }

  /** The quote and capture terms of a new payment, checked before its row is written. */
  private termsOf(input: CreatePaymentInput | BrowserPaymentInput, amount: number, currency: string, captureMethod: CaptureMethod, context: RequestContext): Promise<PaymentTerms> {
    if (!this.terms) return Promise.resolve(NO_TERMS);
    return this.terms.termsFor({ quoteId: input.quoteId, captureOn: input.captureOn, captureMethod, orderId: input.orderId ?? null, amount, currency, principal: context.principal });
  }

  /**
   * Writes the payment before the processor hears of it: its id derived from the request's key,
   * the paying request's token sealed for the Order Service's notification, its trace kept.
   */
  private writePending(context: RequestContext, payment: Omit<NewPayment, 'id' | 'processor' | 'notifyToken' | 'traceparent'>) {
    const id = rowIdFor(context.requestKey && `payment:${context.requestKey}`);
    const forward = this.sealForwardedToken && payment.orderId !== null && context.bearerToken;
    return this.payments.insertPending({
      ...payment,
      id,
      orderHold: context.asCustomer ? 'customer' : 'order',
      processor: this.processor.name,
      notifyToken: forward ? this.sealForwardedToken!(id, context.bearerToken!) : null,
      traceparent: context.traceparent ?? null,
    });
  }

  /**
   * Cancels a browser-confirmed payment still waiting for its card, so that another payment may take
   * its order. False when it is not one, or moved on meanwhile (the browser confirmed it: paid, say).
   */
  private async releaseBrowserHolder(holder: Payment): Promise<boolean> {
    if (!awaitsBrowser(holder) || holder.processorPaymentIntentId === null) return false;
    try {
      return (await this.operate(holder, 'cancel', null, 'cancel')).status === 'canceled';
    } catch (error) {
      this.logger.info({ paymentId: holder.id, err: error }, 'a browser-confirmed payment holding the order could not be canceled; the order stays held');
      return false;
    }
  }

  /**
   * What a client polling a payment sees: a payment waiting for the customer (3-D Secure) or whose
   * outcome is unknown is refreshed from the processor first, so the answer is never stale.
   */
  async status(paymentIntentId: string): Promise<Payment> {
    const payment = await this.get(paymentIntentId);
    if (!awaitsCustomer(payment) && !needsResolution(payment)) return payment;
    // The refresh is a courtesy: if the processor is unreachable, the last known state is answered.
    return this.resolve(payment, 'reconciler').catch(() => payment);
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

  /** The order's payment (in flight, authorized or paid) as the Order Service knows it, if any: see findOrderPayment. */
  findForOrder(orderId: string): Promise<Payment | null> {
    return this.payments.findOrderPayment(orderId);
  }

  /** Newest first; one more row than asked tells whether there is a next page. */
  list(filter: PaymentFilter, limit: number, cursor: ListCursor | null): Promise<Payment[]> {
    return this.payments.list(filter, limit, cursor);
  }

  /** Captures all (or `amount` of) an authorization. */
  async capture(paymentIntentId: string, amount: number | undefined, context: RequestContext = {}): Promise<Payment> {
    const payment = await this.current(paymentIntentId);
    assertOperationAllowed('capture', payment.status);
    if (payment.supersededBy !== null) {
      // Its order is paid by another payment: capturing it would charge the order twice.
      throw new AppError('invalid_state', `Payment ${paymentIntentId} was superseded by another payment of its order; it is released, never captured`, {
        status: payment.status,
      });
    }
    await this.terms?.assertCapturable(payment, context.bearerToken);
    if (amount !== undefined) {
      assertAmount(amount, payment.currency);
      if (amount > payment.amountCapturable) {
        throw new AppError(
          'invalid_amount',
          `amount ${amount} is more than the ${payment.amountCapturable} (${formatAmount(payment.amountCapturable, payment.currency)}) authorized`,
          { param: 'amount' },
        );
      }
    }
    return this.operate(payment, 'capture', amount ?? null, 'capture');
  }

  /** Cancels a payment that has not been charged (an authorization, or one awaiting the customer). */
  async cancel(paymentIntentId: string): Promise<Payment> {
    const payment = await this.current(paymentIntentId);
    assertOperationAllowed('cancel', payment.status);
    return this.operate(payment, 'cancel', null, 'cancel');
  }

  /**
   * Asks the processor what became of a payment whose outcome we do not know, and records it:
   * a lost capture or cancel is sent again with its key, an intent never answered is created again
   * with its key (the processor answers the first one), a known intent is retrieved, an
   * authorization past its deadline is canceled.
   */
  async resolve(payment: Payment, source: PaymentEventSource): Promise<Payment> {
    try {
      if (payment.pendingOperation !== null) {
        return await this.operate(payment, payment.pendingOperation, payment.pendingAmount, source, true);
      }
      if (needsSettling(payment) && this.settleSuperseded) {
        await this.settleSuperseded(payment);
        return await this.get(payment.id);
      }
      if (payment.status === 'requires_capture' && payment.captureBefore && payment.captureBefore <= this.now()) {
        return await this.operate(payment, 'cancel', null, 'expiry');
      }
      if (payment.processorPaymentIntentId !== null) {
        const latest = await this.record(payment, outcomeFromIntent(await this.processor.retrievePaymentIntent(payment.processorPaymentIntentId)), source);
        // Given up on before and still open at the processor (a crash, or a cancel that failed): cancel it now.
        if (payment.status === 'requires_payment_method' && isGivenUp(latest) && latest.pendingOperation === null) {
          return await this.giveUp(latest);
        }
        if (awaitsCustomer(latest) && this.now().getTime() - latest.createdAt.getTime() > ABANDON_AFTER_MS) {
          return await this.operate(latest, 'cancel', null, 'expiry');
        }
        return latest;
      }
      if (payment.status !== 'unknown') return payment;
      if (this.now().getTime() - payment.createdAt.getTime() > REPLAY_WINDOW_MS) {
        const found = await findCreatedIntent(this.processor, payment);
        if (found) return await this.record(payment, outcomeFromIntent(found), source);
        this.logger.error(
          { paymentId: payment.id },
          'payment outcome unknown for too long to replay its creation safely, and the processor has no intent for it; reconcile it by hand',
        );
        return payment;
      }
      return await this.confirm(payment, source);
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw toAppError(error, 'payment_intent_not_found', this.logger);
    }
  }

  /**
   * Records an outcome through the transition table; a concurrent writer that got there first wins.
   * A payment that has just been given up on (declined, 3-D Secure failed) is then canceled at the
   * processor, and one just reported live after its order was paid by another is settled; both
   * are best effort here, and finished by the reconciler when they fail.
   */
  async record(payment: Payment, outcome: PaymentOutcome, source: PaymentEventSource): Promise<Payment> {
    const result = await this.payments.recordOutcome(payment.id, statusesThatCanBecome(outcome.status), outcome, source, payment.status);
    if (!result.updated && result.payment.status !== outcome.status) {
      this.logger.warn(
        { paymentId: payment.id, current: result.payment.status, reported: outcome.status },
        'ignored a processor outcome the state machine does not allow',
      );
    }
    if (!result.updated || result.previous === result.payment.status) return result.payment;
    return this.afterEntering(result.payment);
  }

  /** What a status just entered asks for: a given-up intent canceled at the processor, a superseded payment settled. */
  private async afterEntering(payment: Payment): Promise<Payment> {
    try {
      if (needsSettling(payment) && this.settleSuperseded) {
        await this.settleSuperseded(payment);
        return await this.get(payment.id);
      }
      if (isGivenUp(payment) && payment.pendingOperation === null) return await this.giveUp(payment);
    } catch (error) {
      this.logger.warn({ err: error, paymentId: payment.id }, 'could not settle a payment given up on yet; the reconciler will');
      return (await this.payments.findById(payment.id)) ?? payment;
    }
    return payment;
  }

  /** Cancels at the processor the intent of a payment the service gave up on, so that it can never be confirmed again. */
  private giveUp(payment: Payment): Promise<Payment> {
    return this.operate(payment, 'cancel', null, 'give_up');
  }

  /** The payment as it stands, resolved first if its outcome is not known. */
  private async current(paymentIntentId: string): Promise<Payment> {
    const payment = await this.get(paymentIntentId);
    return needsResolution(payment) ? this.resolve(payment, 'reconciler') : payment;
  }

  /** Sends the payment's creation to the processor (again, with the same key, when resumed). */
  private async confirm(payment: Payment, source: PaymentEventSource, freshKeyAlreadyTried = false): Promise<Payment> {
    let intent: ProcessorPaymentIntent;
    try {
      intent = await this.processor.createPaymentIntent(paymentIntentRequest(payment), creationKey(payment));
    } catch (error) {
      // A key that only replays a failure, or that the processor saw with other parameters (sent by
      // an earlier version of the service, before a deploy changed the request): look the intent up.
      if (error instanceof ProcessorError && (error.replayedFailure || error.kind === 'idempotency')) {
        const settled = await this.settleReplayedCreation(payment, source, freshKeyAlreadyTried);
        if (settled) return settled;
        // Whether the processor made it is still not known: the row stays unknown, for the reconciler.
        if (error.kind === 'idempotency') throw outcomeUnknown(payment);
      }
      throw await this.recordCreationFailure(payment, error, source);
    }
    return this.record(payment, outcomeFromIntent(intent), source);
  }

  /**
   * The key only replays a stored failure (Stripe keeps the 500 of a request that began executing):
   * look the intent up by our row id; only when there is none, send the creation under a fresh key.
   * Null when neither settles it (the lookup failed, or the fresh key was tried already).
   */
  private async settleReplayedCreation(payment: Payment, source: PaymentEventSource, freshKeyAlreadyTried: boolean): Promise<Payment | null> {
    const found = await findCreatedIntent(this.processor, payment).catch(() => undefined);
    if (found === undefined) return null;
    if (found) return this.record(payment, outcomeFromIntent(found), source);
    const next = freshKeyAlreadyTried ? null : await this.payments.nextCreateAttempt(payment.id, payment.createAttempt);
    if (!next) return null;
    this.logger.warn({ paymentId: payment.id, attempt: next.createAttempt }, 'no intent at the processor for a creation whose key replays a failure: sending it under a fresh key');
    return this.confirm(next, source, true);
  }

  /**
   * Sends a capture or cancel: marked on the row first, so a crash between the processor's answer
   * and our record leaves a trace the reconciler follows. `resend` repeats an operation already marked.
   */
  private async operate(
    payment: Payment,
    operation: 'capture' | 'cancel',
    amount: number | null,
    source: PaymentEventSource,
    resend = false,
  ): Promise<Payment> {
    let attempt = payment.operationAttempt;
    if (!resend) {
      const marked = await this.payments.markPendingOperation(payment.id, payment.status, operation, amount);
      if (!marked) {
        const now = await this.get(payment.id);
        throw new AppError('invalid_state', `Payment ${payment.processorPaymentIntentId} changed while it was being ${operation}d; it is now ${now.status}`, { status: now.status });
      }
      attempt = marked.operationAttempt;
    }
    const processorId = payment.processorPaymentIntentId!;
    try {
      // Each attempt has its own key, so an attempt the processor refused never blocks the next.
      const outcome =
        operation === 'capture'
          ? outcomeFromIntent(await this.processor.capturePaymentIntent(processorId, amount, processorKey('pi-capture', payment.id, attempt)))
          : keepingFailure(outcomeFromIntent(await this.processor.cancelPaymentIntent(processorId, processorKey('pi-cancel', payment.id, attempt))), payment);
      return await this.record(payment, outcome, source);
    } catch (error) {
      if (error instanceof ProcessorError && !error.outcomeUnknown) {
        // Refused outright (already captured or canceled elsewhere, say; or, for an intent given up
        // on, confirmed meanwhile by the customer): record what the processor holds.
        const latest = await this.processor.retrievePaymentIntent(processorId).catch(() => null);
        if (latest) {
          const recorded = await this.record(payment, outcomeFromIntent(latest), source);
          // A cancel only the service asked for, or an operation sent again to finish it: what the
          // processor holds is the answer (a request's own capture or cancel is answered its refusal).
          if (source === 'give_up' || resend) return recorded;
        } else {
          await this.payments.clearPendingOperation(payment.id);
        }
      }
      throw toAppError(error, 'payment_intent_not_found', this.logger);
    }
  }

  /**
   * A failed creation: when the processor certainly did nothing the attempt is closed (a decline
   * as requires_payment_method, anything else canceled, with the reason); when the outcome is
   * unknown the row stays `unknown` for the reconciler.
   */
  private async recordCreationFailure(payment: Payment, error: unknown, source: PaymentEventSource): Promise<unknown> {
    if (error instanceof ProcessorError && !error.outcomeUnknown) {
      const declinedCard = error.kind === 'card_declined';
      const recorded = await this.record(payment, outcomeFromRefusal(error), source);
      if (declinedCard) return declined(recorded);
    }
    const appError = toAppError(error, 'payment_method_not_found', this.logger);
    if (appError instanceof AppError && appError.code === 'processor_unavailable') return outcomeUnknown(payment);
    // Left unresolved for another reason (the processor refused our key): the answer, stored under
    // the client's Idempotency-Key and replayed, still names the row to follow.
    if (appError instanceof AppError && error instanceof ProcessorError && error.outcomeUnknown) {
      return new AppError(appError.code, appError.message, { ...appError.details, payment_intent_id: payment.processorPaymentIntentId ?? payment.id });
    }
    return appError;
  }
}

/** Without an order or an Idempotency-Key, a retry after a timeout is indistinguishable from a second purchase. */
/**
 * Whether the caller may be told which payment holds the order: its own customer's payment, or
 * any to a service or an administrator. Another customer learns only that the order is being paid.
 */
function seesHolder(holder: Payment, customerId: string, context: RequestContext): boolean {
  return !context.asCustomer || holder.customerId === customerId;
}

/** A browser-confirmed payment waiting for its card gives way to a new one, but never to another customer's own. */
function mayReplace(holder: Payment, customerId: string, context: RequestContext): boolean {
  return awaitsBrowser(holder) && seesHolder(holder, customerId, context);
}

function assertRetryable(orderId: string | undefined, context: RequestContext): void {
  if (orderId === undefined && context.requestKey === undefined) {
    throw new AppError(
      'validation_failed',
      'Send orderId or an Idempotency-Key header, so that a retried request can never charge twice',
      { param: 'orderId' },
    );
  }
}
