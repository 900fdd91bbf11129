import { decideAccess, type AccessNames } from '../auth/access-rules.js';
import { AppError } from '../errors.js';
import type { DeliveryCheckClient } from '../peers/delivery-check.js';
import type { AwaitedAuthorization, DeliveriesRepository, DeliveryEvent, PaymentTermsRow } from '../store/deliveries-repository.js';
import type { Payment } from './models.js';
import type { PaymentService } from './payments.js';
import type { PaymentTerms, PaymentTermsInput, PaymentTermsPolicy } from './payment-terms.js';
import type { Logger } from './processor-errors.js';
import type { PeerToken, QuoteService } from './quotes.js';

/** The Order Service's status that ends a trip, and the one that ends an order before it. */
const DELIVERED = 'DELIVERED';
const CANCELLED = 'CANCELLED';

/**
 * The terms of delivery-aware payments: a quote binds the amount, REQUIRE_QUOTE holds customers to
 * one, and a payment captured on delivery is captured only once a DELIVERED event is recorded or
 * the delivery check (DELIVERY_CHECK_URL) says the order is delivered.
 */
export class DeliveryTerms implements PaymentTermsPolicy {
  constructor(
    private readonly quotes: QuoteService,
    private readonly deliveries: DeliveriesRepository,
    private readonly check: DeliveryCheckClient | null,
    private readonly peerToken: PeerToken,
    private readonly options: { requireQuote: boolean; names: AccessNames },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async termsFor(input: PaymentTermsInput): Promise<PaymentTerms> {
    if (input.captureOn === 'delivery') {
      if (input.captureMethod !== 'manual') {
        throw new AppError('validation_failed', 'captureOn "delivery" needs captureMethod "manual": the card is authorized now and captured when the delivery is reported', {
          param: 'captureMethod',
        });
      }
      if (input.orderId === null) {
        throw new AppError('validation_failed', 'captureOn "delivery" needs orderId: the delivery events name the order', { param: 'orderId' });
      }
    }
    const customer = input.principal ? decideAccess('create-payment', input.principal, this.options.names).outcome === 'owner' : false;
    if (input.quoteId === undefined && this.options.requireQuote && customer) {
      throw new AppError('validation_failed', 'quoteId is required: a payment for a delivery is made against its fee quote (POST /payment/delivery-fee)', { param: 'quoteId' });
    }
    const quote = input.quoteId === undefined ? null : await this.quotes.bindForPayment(input.quoteId, input.orderId, input.amount, input.currency);
    return {
      quoteId: quote?.id ?? null,
      quoteBreakdown: quote
        ? { cost: quote.cost, tax: quote.tax, total: quote.total, riderCommission: quote.riderCommission, distanceKm: quote.distanceKm, vehicleType: quote.vehicleType, currency: quote.currency }
        : null,
      captureOn: input.captureOn ?? null,
    };
  }

  async assertCapturable(payment: Payment, callerToken: string | undefined): Promise<void> {
    const terms = termsOf(payment);
    if (terms.captureOn !== 'delivery') return;
    const events = await this.deliveries.eventsOf(payment.id);
    if (events.some((event) => event.status === DELIVERED)) return;
    const orderId = terms.orderId!;
    if (this.check) {
      const status = await this.check.orderStatus(orderId, await this.peerToken(callerToken));
      if (status === DELIVERED) {
        await this.deliveries.recordEvent({ paymentId: payment.id, orderId, status, source: 'check', receivedAt: this.now() });
        return;
      }
      throw notDelivered(payment, orderId, `the delivery check says ${status}`);
    }
    throw notDelivered(payment, orderId, 'no DELIVERED event has been recorded for it');
  }
}

/** A payment's delivery terms, as its row holds them. */
function termsOf(payment: Payment): PaymentTermsRow {
  return { paymentId: payment.id, orderId: payment.orderId, quoteId: payment.quoteId, quoteBreakdown: payment.quoteBreakdown, captureOn: payment.captureOn };
}

function notDelivered(payment: Payment, orderId: string, why: string): AppError {
  return new AppError('delivery_not_completed', `Payment ${payment.processorPaymentIntentId ?? payment.id} is captured when order ${orderId} is delivered, and ${why}`, {
    order_id: orderId,
  });
}

/** What a delivery event did to the payment. */
export type DeliveryAction = 'captured' | 'released' | 'recorded' | 'already_settled';

/** The delivery side of a payment, as GET /payment/payment-intent/:id shows it. */
export interface DeliveryView {
  terms: PaymentTerms | null;
  events: DeliveryEvent[];
}

/**
 * Delivery events (POST /payment/delivery-events) and the watchdog over authorizations waiting for
 * theirs. Every change of a payment goes through PaymentService (capture, cancel, resolve), so the
 * Order Service hears of it through the outbox like any other.
 */
export class DeliveryService {
  constructor(
    private readonly payments: PaymentService,
    private readonly deliveries: DeliveriesRepository,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Records an order's status; DELIVERED captures its authorization, CANCELLED releases it. The same event again is harmless. */
  async recordEvent(input: { orderId: string; status: string }, callerToken?: string): Promise<{ event: DeliveryEvent; duplicate: boolean; action: DeliveryAction; payment: Payment }> {
    const paymentId = await this.deliveries.paymentAwaitingDelivery(input.orderId);
    if (!paymentId) {
      throw new AppError('order_not_found', `Order ${input.orderId} has no payment captured on delivery (captureOn "delivery")`, { param: 'orderId' });
    }
    const { event, duplicate } = await this.deliveries.recordEvent({ paymentId, orderId: input.orderId, status: input.status, source: 'event', receivedAt: this.now() });
    let payment = await this.payments.get(paymentId);
    let action: DeliveryAction = 'recorded';
    if (input.status === DELIVERED || input.status === CANCELLED) {
      // Acted on by the payment's state, not the event's novelty: a repeated event retries a capture that failed.
      if (payment.status === 'requires_capture' || payment.status === 'unknown' || payment.pendingOperation !== null) {
        try {
          payment = input.status === DELIVERED ? await this.payments.capture(paymentId, undefined, { bearerToken: callerToken }) : await this.payments.cancel(paymentId);
          action = input.status === DELIVERED ? 'captured' : 'released';
        } catch (error) {
          // The same event delivered twice at once: the other request is capturing (or has captured) it.
          if (!(error instanceof AppError && error.code === 'invalid_state')) throw error;
          payment = await this.payments.get(paymentId);
          action = 'already_settled';
        }
      } else if (payment.status === 'succeeded' || payment.status === 'canceled') {
        action = 'already_settled';
      }
    }
    this.logger.info({ paymentId, orderId: input.orderId, status: input.status, duplicate, action }, 'delivery event recorded');
    return { event, duplicate, action, payment };
  }

  async view(payment: Payment): Promise<DeliveryView> {
    const terms = termsOf(payment);
    const events = terms.captureOn === 'delivery' ? await this.deliveries.eventsOf(payment.id) : [];
    return { terms, events };
  }

  /** Authorizations waiting for their delivery whose capture_before falls within `windowMs` from now (or has passed). */
  async expiring(windowMs: number): Promise<AwaitedAuthorization[]> {
    const list = await this.deliveries.authorizationsExpiringBefore(new Date(this.now().getTime() + windowMs), 100);
    return list.filter((authorization) => !authorization.delivered);
  }

  /**
   * One round of the watchdog: captures what was delivered but whose capture failed, logs the
   * authorizations about to lapse without a delivery, and cancels those that lapsed (the processor
   * would release them anyway; cancelling frees the order and tells the Order Service).
   */
  async sweep(warnBeforeMs: number): Promise<{ captured: number; warned: number; canceled: number }> {
    let captured = 0;
    let warned = 0;
    let canceled = 0;
    for (const paymentId of await this.deliveries.deliveredButNotCaptured(20)) {
      try {
        await this.payments.capture(paymentId, undefined);
        captured += 1;
      } catch (error) {
        this.logger.warn({ paymentId, err: error }, 'a delivered order\'s authorization could not be captured yet; the watchdog tries again');
      }
    }
    const now = this.now();
    for (const authorization of await this.expiring(warnBeforeMs)) {
      if (authorization.captureBefore && authorization.captureBefore <= now) {
        try {
          const payment = await this.payments.resolve(await this.payments.get(authorization.paymentId), 'reconciler');
          if (payment.status === 'canceled') canceled += 1;
          this.logger.warn({ paymentId: authorization.paymentId, orderId: authorization.orderId, status: payment.status }, 'an authorization waiting for its delivery lapsed and was canceled');
        } catch (error) {
          this.logger.warn({ paymentId: authorization.paymentId, err: error }, 'a lapsed authorization could not be canceled yet; the watchdog tries again');
        }
      } else {
        warned += 1;
        this.logger.warn(
          { paymentId: authorization.paymentId, orderId: authorization.orderId, captureBefore: authorization.captureBefore?.toISOString() },
          'an authorization waiting for its delivery lapses soon, and no delivery is reported',
        );
      }
    }
    return { captured, warned, canceled };
  }
}
