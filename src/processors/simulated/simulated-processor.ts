import type { SimulatedLedger } from '../../store/simulated-ledger.js';
import {
  ProcessorError,
  type CreatePaymentIntentInput,
  type CreateRefundInput,
  type PaymentProcessor,
  type ProcessorCustomer,
  type ProcessorPaymentIntent,
  type ProcessorRefund,
} from '../processor.js';
import {
  metadataHolds,
  processorErrorFrom,
  toProcessorPaymentIntent,
  toProcessorPaymentMethod,
  toProcessorRefund,
} from '../stripe-shapes.js';
import { tokenMatches } from '../../crypto/derived-token.js';
import { serviceChallengePages, SimulatedChallenges } from './authentication-page.js';
import { EventDelivery, type EventSink } from './event-delivery.js';
import { SimulatedStripeError } from './outcomes.js';
import { SimulatedStripe } from './simulated-stripe.js';

/** Intents are asked for with their latest charge, as the Stripe processor asks: the authorization's deadline is there. */
const WITH_CHARGE = ['latest_charge'];

/** Optional faults to inject around processor calls, for crash and outage tests. */
export interface SimulatedFaults {
  /** Called before each operation reaches the simulated processor; throw to make it unreachable. */
  before?(operation: string): void | Promise<void>;
  /** Called after an operation took effect; throw to lose its answer. */
  after?(operation: string): void | Promise<void>;
}

export interface SimulatedProcessorOptions {
  /** The service's address for the links it answers (its 3-D Secure page); default: none, the links are paths. */
  publicUrl?: () => string;
  /** Send the processor's events, signed with `secret()`, to `sink` (the service's webhook endpoint), as Stripe would. Default: kept, never sent. */
  delivery?: { sink: EventSink; secret: () => string };
}

/**
 * PAYMENT_PROCESSOR=simulated: Stripe's test mode, in process, its state in our own database. Two
 * conveniences Stripe does not have, for demos without a browser: any unseen `pm_` id is a Visa
 * ending 4242, and a refund reaches its later state (a pending one succeeds, one of
 * `pm_card_refundFail` fails) the next time it is looked at.
 */
export class SimulatedProcessor implements PaymentProcessor {
  readonly name = 'simulated' as const;
  private readonly stripe: SimulatedStripe;
  /** The 3-D Secure challenges of payments that require action, which the service's own page finishes. */
  readonly challenges: SimulatedChallenges;
  /** Sends the processor's events to the service's webhook endpoint; null when they are only kept. */
  readonly delivery: EventDelivery | null;

  constructor(ledger: SimulatedLedger, private readonly faults: SimulatedFaults = {}, options: SimulatedProcessorOptions = {}) {
    this.stripe = new SimulatedStripe(ledger, {
      acceptAnyPaymentMethodId: true,
      settleRefundsAfterMs: 0,
      challengePages: serviceChallengePages(options.publicUrl ?? (() => '')),
    });
    this.challenges = new SimulatedChallenges(this.stripe);
    this.delivery = options.delivery ? new EventDelivery(ledger, options.delivery.sink, options.delivery.secret) : null;
  }

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    await this.faults.before?.(operation);
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      if (error instanceof SimulatedStripeError) throw processorErrorFrom(error.error, error.statusCode, error);
      throw error;
    }
    await this.faults.after?.(operation);
    return result;
  }

  async findCustomersByEmail(email: string): Promise<ProcessorCustomer[]> {
    const list = await this.call('customers.list', () => this.stripe.listCustomers({ email, limit: 100 }));
    return list.data.map((customer) => ({ id: customer.id, created: new Date(customer.created * 1000) }));
  }

  async createCustomer(input: { email: string; name: string | null; metadata: Record<string, string> }, idempotencyKey: string) {
    const customer = await this.call('customers.create', () =>
      this.stripe.createCustomer({ email: input.email, ...(input.name ? { name: input.name } : {}), metadata: input.metadata }, idempotencyKey),
    );
    return { id: customer.id };
  }

  async setDefaultPaymentMethod(customerId: string, paymentMethodId: string, idempotencyKey: string) {
    await this.call('customers.update', () =>
      this.stripe.updateCustomer(customerId, { invoice_settings: { default_payment_method: paymentMethodId } }, idempotencyKey),
    );
  }

  async attachPaymentMethod(paymentMethodId: string, customerId: string, idempotencyKey: string) {
    const pm = await this.call('payment_methods.attach', () =>
      this.stripe.attachPaymentMethod(paymentMethodId, { customer: customerId }, idempotencyKey),
    );
    return toProcessorPaymentMethod(pm);
  }

  async retrievePaymentMethod(paymentMethodId: string) {
    return toProcessorPaymentMethod(await this.call('payment_methods.retrieve', () => this.stripe.retrievePaymentMethod(paymentMethodId)));
  }

  async detachPaymentMethod(paymentMethodId: string, idempotencyKey: string) {
    await this.call('payment_methods.detach', () => this.stripe.detachPaymentMethod(paymentMethodId, idempotencyKey));
  }

  async listPaymentMethods(customerId: string) {
    const list = await this.call('payment_methods.list', () => this.stripe.listPaymentMethods({ customer: customerId }));
    return list.data.map(toProcessorPaymentMethod);
  }

  async createPaymentIntent(input: CreatePaymentIntentInput, idempotencyKey: string): Promise<ProcessorPaymentIntent> {
    try {
      const pi = await this.call('payment_intents.create', () =>
        this.stripe.createPaymentIntent(
          {
            amount: input.amount,
            currency: input.currency,
            customer: input.customerId,
            // Without a card the intent waits for the browser to confirm it (see confirmInBrowser).
            ...(input.paymentMethodId !== null ? { payment_method: input.paymentMethodId, confirm: true } : {}),
            capture_method: input.captureMethod,
            metadata: input.metadata,
            expand: WITH_CHARGE,
            ...(input.description ? { description: input.description } : {}),
            ...(input.returnUrl && input.paymentMethodId !== null ? { return_url: input.returnUrl } : {}),
          },
          idempotencyKey,
        ),
      );
      return toProcessorPaymentIntent(pi);
    } catch (error) {
      // A declined confirmation still made an intent: answer it, with its last error, like Stripe does.
      const intent = error instanceof ProcessorError && error.cause instanceof SimulatedStripeError ? error.cause.paymentIntent : null;
      if (intent) return toProcessorPaymentIntent(intent);
      throw error;
    }
  }

  /**
   * What Stripe.js's `confirmCardPayment(clientSecret, {payment_method})` does in the customer's
   * browser, for the simulated processor only: confirms an intent waiting for a payment method. The
   * service learns the outcome as it would from Stripe, by polling the intent (or a webhook).
   * A decline answers the intent with its last error, as Stripe.js does.
   */
  async confirmInBrowser(id: string, paymentMethodId: string, clientSecret: string, returnUrl?: string): Promise<ProcessorPaymentIntent | null> {
    // Null for an intent that is not there or whose secret this is not: answered alike, so ids cannot be probed.
    const pi = await this.retrievePaymentIntent(id).catch((error: unknown) => {
      if (error instanceof ProcessorError && error.kind === 'not_found') return null;
      throw error;
    });
    if (!pi || pi.clientSecret === null || !tokenMatches(pi.clientSecret, clientSecret)) return null;
    try {
      const pi = await this.call('payment_intents.confirm', () =>
        this.stripe.confirmPaymentIntent(id, { payment_method: paymentMethodId, client_secret: clientSecret, ...(returnUrl ? { return_url: returnUrl } : {}) }),
      );
      return toProcessorPaymentIntent(pi);
    } catch (error) {
      const intent = error instanceof ProcessorError && error.cause instanceof SimulatedStripeError ? error.cause.paymentIntent : null;
      if (intent) return toProcessorPaymentIntent(intent);
      throw error;
    }
  }

  async retrievePaymentIntent(id: string) {
    return toProcessorPaymentIntent(await this.call('payment_intents.retrieve', () => this.stripe.retrievePaymentIntent(id, { expand: WITH_CHARGE })));
  }

  async capturePaymentIntent(id: string, amount: number | null, idempotencyKey: string) {
    const pi = await this.call('payment_intents.capture', () =>
      this.stripe.capturePaymentIntent(id, amount === null ? { expand: WITH_CHARGE } : { amount_to_capture: amount, expand: WITH_CHARGE }, idempotencyKey),
    );
    return toProcessorPaymentIntent(pi);
  }

  async cancelPaymentIntent(id: string, idempotencyKey: string) {
    return toProcessorPaymentIntent(
      await this.call('payment_intents.cancel', () => this.stripe.cancelPaymentIntent(id, { expand: WITH_CHARGE }, idempotencyKey)),
    );
  }

  async createRefund(input: CreateRefundInput, idempotencyKey: string) {
    const refund = await this.call('refunds.create', () =>
      this.stripe.createRefund(
        {
          payment_intent: input.paymentIntentId,
          amount: input.amount,
          metadata: input.metadata,
          ...(input.reason ? { reason: input.reason } : {}),
        },
        idempotencyKey,
      ),
    );
    return toProcessorRefund(refund);
  }

  async retrieveRefund(id: string) {
    return toProcessorRefund(await this.call('refunds.retrieve', () => this.stripe.retrieveRefund(id)));
  }

  async findPaymentIntentByMetadata(customerId: string, metadata: Record<string, string>, createdSince: Date): Promise<ProcessorPaymentIntent | null> {
    const gte = Math.floor(createdSince.getTime() / 1000);
    const list = await this.call('payment_intents.list', () => this.stripe.listPaymentIntents({ customer: customerId, created: { gte }, limit: 10_000, expand: ['data.latest_charge'] }));
    const found = list.data.find((pi) => metadataHolds(pi.metadata, metadata));
    return found ? toProcessorPaymentIntent(found) : null;
  }

  async findRefundByMetadata(paymentIntentId: string, metadata: Record<string, string>): Promise<ProcessorRefund | null> {
    const list = await this.call('refunds.list', () => this.stripe.listRefunds({ payment_intent: paymentIntentId, limit: 10_000 }));
    const found = list.data.find((refund) => metadataHolds(refund.metadata, metadata));
    return found ? toProcessorRefund(found) : null;
  }
}
