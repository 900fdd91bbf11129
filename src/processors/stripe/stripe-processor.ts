import Stripe from 'stripe';
import type {
  CreatePaymentIntentInput,
  CreateRefundInput,
  PaymentProcessor,
  ProcessorPaymentIntent,
  ProcessorCustomer,
  ProcessorPaymentMethod,
  ProcessorRefund,
} from '../processor.js';
import { metadataHolds, toProcessorPaymentIntent, toProcessorPaymentMethod, toProcessorRefund } from '../stripe-shapes.js';
import { fromSdkError } from './stripe-errors.js';
import { fromSdkPaymentIntent, fromSdkPaymentMethod, fromSdkRefund } from './stripe-objects.js';

/**
 * Every intent is asked for with its latest charge expanded: the authorization's deadline
 * (`payment_method_details.card.capture_before`) is the charge's, and differs by card and network.
 */
const WITH_CHARGE = ['latest_charge'];

/**
 * PAYMENT_PROCESSOR=stripe: the Stripe API through the official SDK. Every POST carries the
 * idempotency key the use case derived from its own row, so the SDK's retries and ours can never
 * repeat a charge or a refund. Objects and errors go through the same mapping as the simulated
 * processor's (stripe-shapes.ts).
 */
export class StripeProcessor implements PaymentProcessor {
  readonly name = 'stripe' as const;

  constructor(private readonly stripe: Stripe) {}

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw fromSdkError(error);
    }
  }

  async findCustomersByEmail(email: string): Promise<ProcessorCustomer[]> {
    // One page: more than a hundred customers on one address is not a duplicate to settle by age.
    const list = await this.call(() => this.stripe.customers.list({ email, limit: 100 }));
    return list.data.map((customer) => ({ id: customer.id, created: new Date(customer.created * 1000) }));
  }

  async createCustomer(
    input: { email: string; name: string | null; metadata: Record<string, string> },
    idempotencyKey: string,
  ): Promise<{ id: string }> {
    const customer = await this.call(() =>
      this.stripe.customers.create(
        { email: input.email, ...(input.name ? { name: input.name } : {}), metadata: input.metadata },
        { idempotencyKey },
      ),
    );
    return { id: customer.id };
  }

  async setDefaultPaymentMethod(customerId: string, paymentMethodId: string, idempotencyKey: string): Promise<void> {
    await this.call(() =>
      this.stripe.customers.update(
        customerId,
        { invoice_settings: { default_payment_method: paymentMethodId } },
        { idempotencyKey },
      ),
    );
  }

  async attachPaymentMethod(paymentMethodId: string, customerId: string, idempotencyKey: string): Promise<ProcessorPaymentMethod> {
    const pm = await this.call(() => this.stripe.paymentMethods.attach(paymentMethodId, { customer: customerId }, { idempotencyKey }));
    return toProcessorPaymentMethod(fromSdkPaymentMethod(pm));
  }

  async retrievePaymentMethod(paymentMethodId: string): Promise<ProcessorPaymentMethod> {
    const pm = await this.call(() => this.stripe.paymentMethods.retrieve(paymentMethodId));
    return toProcessorPaymentMethod(fromSdkPaymentMethod(pm));
  }

  async detachPaymentMethod(paymentMethodId: string, idempotencyKey: string): Promise<void> {
    await this.call(() => this.stripe.paymentMethods.detach(paymentMethodId, {}, { idempotencyKey }));
  }

  async listPaymentMethods(customerId: string): Promise<ProcessorPaymentMethod[]> {
    // A customer holds a handful of cards; 100 is Stripe's page maximum, so one page is all of them.
    const list = await this.call(() => this.stripe.paymentMethods.list({ customer: customerId, type: 'card', limit: 100 }));
    return list.data.map((pm) => toProcessorPaymentMethod(fromSdkPaymentMethod(pm)));
  }

  async createPaymentIntent(input: CreatePaymentIntentInput, idempotencyKey: string): Promise<ProcessorPaymentIntent> {
    const confirmNow = input.paymentMethodId !== null;
    const params: Stripe.PaymentIntentCreateParams = {
      amount: input.amount,
      currency: input.currency,
      customer: input.customerId,
      // Without a card the intent is created unconfirmed, for Stripe.js to confirm in the browser
      // with its client secret (confirmCardPayment); Stripe refuses a return_url without confirm.
      ...(confirmNow ? { payment_method: input.paymentMethodId!, confirm: true } : {}),
      metadata: input.metadata,
      expand: WITH_CHARGE,
      ...(input.description ? { description: input.description } : {}),
      // With a return URL Stripe may redirect for 3-D Secure; without one, redirect-based methods are
      // excluded so a confirmation without a return URL is valid (Stripe refuses it otherwise).
      ...(input.returnUrl && confirmNow
        ? { return_url: input.returnUrl }
        : { automatic_payment_methods: { enabled: true, allow_redirects: 'never' as const } }),
      ...(input.captureMethod === 'manual' ? { capture_method: 'manual' as const } : {}),
    };
    try {
      const pi = await this.stripe.paymentIntents.create(params, { idempotencyKey });
      return toProcessorPaymentIntent(fromSdkPaymentIntent(pi));
    } catch (error) {
      // A declined confirmation still made an intent, sent inside the card error: answer it with its
      // last error, as the simulated processor does, so the attempt is recorded under Stripe's id.
      if (error instanceof Stripe.errors.StripeCardError && error.payment_intent) {
        return toProcessorPaymentIntent(fromSdkPaymentIntent(error.payment_intent));
      }
      throw fromSdkError(error);
    }
  }

  async retrievePaymentIntent(id: string): Promise<ProcessorPaymentIntent> {
    const pi = await this.call(() => this.stripe.paymentIntents.retrieve(id, { expand: WITH_CHARGE }));
    return toProcessorPaymentIntent(fromSdkPaymentIntent(pi));
  }

  async capturePaymentIntent(id: string, amount: number | null, idempotencyKey: string): Promise<ProcessorPaymentIntent> {
    const pi = await this.call(() =>
      this.stripe.paymentIntents.capture(
        id,
        amount === null ? { expand: WITH_CHARGE } : { amount_to_capture: amount, expand: WITH_CHARGE },
        { idempotencyKey },
      ),
    );
    return toProcessorPaymentIntent(fromSdkPaymentIntent(pi));
  }

  async cancelPaymentIntent(id: string, idempotencyKey: string): Promise<ProcessorPaymentIntent> {
    const pi = await this.call(() => this.stripe.paymentIntents.cancel(id, { expand: WITH_CHARGE }, { idempotencyKey }));
    return toProcessorPaymentIntent(fromSdkPaymentIntent(pi));
  }

  async createRefund(input: CreateRefundInput, idempotencyKey: string): Promise<ProcessorRefund> {
    const refund = await this.call(() =>
      this.stripe.refunds.create(
        {
          payment_intent: input.paymentIntentId,
          amount: input.amount,
          metadata: input.metadata,
          ...(input.reason ? { reason: input.reason } : {}),
        },
        { idempotencyKey },
      ),
    );
    return toProcessorRefund(fromSdkRefund(refund));
  }

  async retrieveRefund(id: string): Promise<ProcessorRefund> {
    const refund = await this.call(() => this.stripe.refunds.retrieve(id));
    return toProcessorRefund(fromSdkRefund(refund));
  }

  // Lists, not the search API: a list shows an object as soon as it exists, a search only after
  // its index caught up (up to a minute, longer during an incident), and "nothing found" must be true.

  async findPaymentIntentByMetadata(customerId: string, metadata: Record<string, string>, createdSince: Date): Promise<ProcessorPaymentIntent | null> {
    return this.call(async () => {
      const created = { gte: Math.floor(createdSince.getTime() / 1000) };
      for await (const pi of this.stripe.paymentIntents.list({ customer: customerId, created, limit: 100, expand: ['data.latest_charge'] })) {
        if (metadataHolds(pi.metadata, metadata)) return toProcessorPaymentIntent(fromSdkPaymentIntent(pi));
      }
      return null;
    });
  }

  async findRefundByMetadata(paymentIntentId: string, metadata: Record<string, string>): Promise<ProcessorRefund | null> {
    return this.call(async () => {
      for await (const refund of this.stripe.refunds.list({ payment_intent: paymentIntentId, limit: 100 })) {
        if (metadataHolds(refund.metadata ?? {}, metadata)) return toProcessorRefund(fromSdkRefund(refund));
      }
      return null;
    });
  }
}
