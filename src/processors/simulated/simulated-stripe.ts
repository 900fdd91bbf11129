import { createHash } from 'node:crypto';
import { currencyExponent, minimumCharge } from '../../domain/money.js';
import type { LedgerTransaction, SimulatedLedger } from '../../store/simulated-ledger.js';
import type {
  StripeLikeCustomer,
  StripeLikeError,
  StripeLikePaymentIntent,
  StripeLikePaymentMethod,
  StripeLikeRefund,
} from '../stripe-shapes.js';
import { stripeLikeId } from './ids.js';
import { DEFAULT_TEST_CARD, TEST_PAYMENT_METHODS, testCardFor, type CardOutcome, type TestCard } from './test-cards.js';
import { canonicalJson } from '../../util/canonical-json.js';

/** An error as Stripe would answer it: the HTTP status and the `error` object of the body. */
export class SimulatedStripeError extends Error {
  constructor(
    readonly statusCode: number,
    readonly error: StripeLikeError,
    /** Set when a confirmation was declined: the intent exists, in `requires_payment_method`. */
    readonly paymentIntent: StripeLikePaymentIntent | null = null,
  ) {
    super(error.message);
    this.name = 'SimulatedStripeError';
  }
}

type Outcome<T> = { ok: true; value: T } | { ok: false; statusCode: number; error: StripeLikeError; paymentIntent?: StripeLikePaymentIntent };

export interface CreatePaymentIntentParams {
  amount: number;
  currency: string;
  customer?: string | undefined;
  payment_method?: string | undefined;
  confirm?: boolean | undefined;
  capture_method?: 'automatic' | 'manual' | undefined;
  description?: string | undefined;
  metadata?: Record<string, string> | undefined;
  return_url?: string | undefined;
}

export interface CreateRefundParams {
  payment_intent: string;
  amount?: number | undefined;
  reason?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

const REFUND_REASONS = new Set(['duplicate', 'fraudulent', 'requested_by_customer']);
const CANCELABLE = new Set(['requires_payment_method', 'requires_confirmation', 'requires_action', 'requires_capture']);

const missing = (type: string, id: string): Outcome<never> => ({
  ok: false,
  statusCode: 404,
  error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${type}: '${id}'`, param: 'id' },
});
const invalid = (message: string, param?: string, code?: string): Outcome<never> => ({
  ok: false,
  statusCode: 400,
  error: { type: 'invalid_request_error', message, ...(param ? { param } : {}), ...(code ? { code } : {}) },
});
const declined = (outcome: Extract<CardOutcome, { kind: 'decline' }>): StripeLikeError => ({
  type: 'card_error',
  code: outcome.code,
  decline_code: outcome.declineCode,
  message: outcome.message,
});

/**
 * An in-process payment processor that behaves like Stripe's test mode: the same objects, the same
 * test cards and outcomes, the same idempotency rules (same key and parameters: the stored answer;
 * same key, other parameters: an `idempotency_error`). Its state lives in the service's database.
 */
export class SimulatedStripe {
  constructor(
    private readonly ledger: SimulatedLedger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private timestamp(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  // ---- customers -------------------------------------------------------------------------------

  createCustomer(params: { email?: string; name?: string; metadata?: Record<string, string> }, idempotencyKey?: string) {
    return this.write<StripeLikeCustomer>('customers.create', params, idempotencyKey, async (tx) => {
      const customer: StripeLikeCustomer = {
        id: stripeLikeId('cus', 14),
        object: 'customer',
        email: params.email ?? null,
        name: params.name ?? null,
        metadata: params.metadata ?? {},
        invoice_settings: { default_payment_method: null },
        created: this.timestamp(),
      };
      await tx.insert(customer, 'customer', customer.email?.toLowerCase() ?? null);
      return { ok: true, value: customer };
    });
  }

  listCustomers(params: { email: string; limit?: number }) {
    return this.read(async (tx) => {
      const data = await tx.find<StripeLikeCustomer>('customer', params.email.toLowerCase(), params.limit ?? 10);
      return { ok: true, value: { object: 'list' as const, data, has_more: false } };
    });
  }

  retrieveCustomer(id: string) {
    return this.read(async (tx) => {
      const customer = await tx.get<StripeLikeCustomer>(id, 'customer');
      return customer ? { ok: true, value: customer } : missing('customer', id);
    });
  }

  updateCustomer(id: string, params: { invoice_settings?: { default_payment_method?: string } }, idempotencyKey?: string) {
    return this.write<StripeLikeCustomer>('customers.update', { id, ...params }, idempotencyKey, async (tx) => {
      const customer = await tx.get<StripeLikeCustomer>(id, 'customer');
      if (!customer) return missing('customer', id);
      const defaultId = params.invoice_settings?.default_payment_method;
      if (defaultId !== undefined) {
        const pm = await tx.get<StripeLikePaymentMethod>(defaultId, 'payment_method');
        if (!pm || pm.customer !== id) {
          return invalid(`No such PaymentMethod: '${defaultId}' attached to customer '${id}'`, 'invoice_settings[default_payment_method]', 'resource_missing');
        }
        customer.invoice_settings.default_payment_method = defaultId;
      }
      await tx.update(customer, customer.email?.toLowerCase() ?? null);
      return { ok: true, value: customer };
    });
  }

  // ---- payment methods ---------------------------------------------------------------------------

  attachPaymentMethod(id: string, params: { customer: string }, idempotencyKey?: string) {
    return this.write<StripeLikePaymentMethod>('payment_methods.attach', { id, ...params }, idempotencyKey, async (tx) => {
      const customer = await tx.get<StripeLikeCustomer>(params.customer, 'customer');
      if (!customer) return missing('customer', params.customer);
      const found = await this.resolvePaymentMethod(tx, id);
      if (!found.ok) return found;
      const pm = found.value;
      if (pm.customer === params.customer) return { ok: true, value: pm };
      if (pm.customer !== null) {
        return invalid('The payment method you provided has already been attached to a customer.', 'payment_method');
      }
      if (pm.metadata['detached'] === 'true') return this.unusable(pm.id);
      const outcome = this.cardOf(pm).onAttach;
      if (outcome.kind === 'decline') return { ok: false, statusCode: 402, error: declined(outcome) };
      pm.customer = params.customer;
      await tx.update(pm, pm.customer);
      return { ok: true, value: pm };
    });
  }

  retrievePaymentMethod(id: string) {
    return this.read(async (tx) => {
      const pm = await tx.get<StripeLikePaymentMethod>(id, 'payment_method');
      return pm ? { ok: true, value: pm } : this.resolvePaymentMethod(tx, id);
    });
  }

  detachPaymentMethod(id: string, idempotencyKey?: string) {
    return this.write<StripeLikePaymentMethod>('payment_methods.detach', { id }, idempotencyKey, async (tx) => {
      const pm = await tx.get<StripeLikePaymentMethod>(id, 'payment_method');
      if (!pm) return missing('payment_method', id);
      if (pm.customer === null) return invalid('The payment method you provided is not attached to a customer so detachment is impossible.');
      const customer = await tx.get<StripeLikeCustomer>(pm.customer, 'customer');
      if (customer && customer.invoice_settings.default_payment_method === id) {
        customer.invoice_settings.default_payment_method = null;
        await tx.update(customer, customer.email?.toLowerCase() ?? null);
      }
      pm.customer = null;
      pm.metadata = { ...pm.metadata, detached: 'true' };
      await tx.update(pm, null);
      return { ok: true, value: pm };
    });
  }

  listPaymentMethods(params: { customer: string }) {
    return this.read(async (tx) => {
      if (!(await tx.get(params.customer, 'customer'))) return missing('customer', params.customer);
      const data = await tx.find<StripeLikePaymentMethod>('payment_method', params.customer);
      return { ok: true, value: { object: 'list' as const, data, has_more: false } };
    });
  }

  // ---- payment intents ---------------------------------------------------------------------------

  createPaymentIntent(params: CreatePaymentIntentParams, idempotencyKey?: string) {
    return this.write<StripeLikePaymentIntent>('payment_intents.create', params, idempotencyKey, async (tx) => {
      const checked = this.checkAmount(params.amount, params.currency);
      if (checked) return checked;
      if (params.customer && !(await tx.get(params.customer, 'customer'))) return missing('customer', params.customer);
      let pm: StripeLikePaymentMethod | null = null;
      if (params.payment_method) {
        const found = await this.resolvePaymentMethod(tx, params.payment_method);
        if (!found.ok) return found;
        pm = found.value;
        if (pm.metadata['detached'] === 'true') return this.unusable(pm.id);
        if (pm.customer !== null && pm.customer !== params.customer) {
          return invalid('The provided PaymentMethod belongs to a different Customer.', 'payment_method');
        }
      }
      const id = stripeLikeId('pi');
      const pi: StripeLikePaymentIntent = {
        id,
        object: 'payment_intent',
        amount: params.amount,
        amount_capturable: 0,
        amount_received: 0,
        currency: params.currency,
        customer: params.customer ?? null,
        payment_method: pm?.id ?? null,
        status: pm ? 'requires_confirmation' : 'requires_payment_method',
        capture_method: params.capture_method ?? 'automatic',
        client_secret: `${id}_secret_${stripeLikeId('s', 24).slice(2)}`,
        description: params.description ?? null,
        metadata: params.metadata ?? {},
        next_action: null,
        last_payment_error: null,
        latest_charge: null,
        created: this.timestamp(),
        canceled_at: null,
        cancellation_reason: null,
      };
      let outcome: Outcome<StripeLikePaymentIntent> = { ok: true, value: pi };
      if (pm && params.confirm) outcome = this.confirm(pi, pm, params.return_url);
      await tx.insert(pi, 'payment_intent', pi.customer);
      return outcome;
    });
  }

  retrievePaymentIntent(id: string) {
    return this.read(async (tx) => {
      const pi = await tx.get<StripeLikePaymentIntent>(id, 'payment_intent');
      return pi ? { ok: true, value: pi } : missing('payment_intent', id);
    });
  }

  capturePaymentIntent(id: string, params: { amount_to_capture?: number | undefined }, idempotencyKey?: string) {
    return this.write<StripeLikePaymentIntent>('payment_intents.capture', { id, ...params }, idempotencyKey, async (tx) => {
      const pi = await tx.get<StripeLikePaymentIntent>(id, 'payment_intent');
      if (!pi) return missing('payment_intent', id);
      if (pi.status !== 'requires_capture') {
        return invalid(
          `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
          undefined,
          'payment_intent_unexpected_state',
        );
      }
      const amount = params.amount_to_capture ?? pi.amount_capturable;
      if (!Number.isInteger(amount) || amount <= 0 || amount > pi.amount_capturable) {
        return invalid(`amount_to_capture must be a positive integer no greater than ${pi.amount_capturable}.`, 'amount_to_capture');
      }
      pi.amount_received = amount;
      pi.amount_capturable = 0;
      pi.status = 'succeeded';
      await tx.update(pi, pi.customer);
      return { ok: true, value: pi };
    });
  }

  cancelPaymentIntent(id: string, params: { cancellation_reason?: string | undefined }, idempotencyKey?: string) {
    return this.write<StripeLikePaymentIntent>('payment_intents.cancel', { id, ...params }, idempotencyKey, async (tx) => {
      const pi = await tx.get<StripeLikePaymentIntent>(id, 'payment_intent');
      if (!pi) return missing('payment_intent', id);
      if (!CANCELABLE.has(pi.status)) {
        return invalid(
          `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${[...CANCELABLE].join(', ')}.`,
          undefined,
          'payment_intent_unexpected_state',
        );
      }
      pi.status = 'canceled';
      pi.amount_capturable = 0;
      pi.next_action = null;
      pi.canceled_at = this.timestamp();
      pi.cancellation_reason = params.cancellation_reason ?? null;
      await tx.update(pi, pi.customer);
      return { ok: true, value: pi };
    });
  }

  /**
   * What the customer's browser does with Stripe.js on a payment that requires action: passes the
   * 3-D Secure challenge (the payment goes through) or fails it (the payment needs another card).
   */
  completeAuthentication(id: string, passed: boolean) {
    return this.write<StripeLikePaymentIntent>('payment_intents.authenticate', { id, passed }, undefined, async (tx) => {
      const pi = await tx.get<StripeLikePaymentIntent>(id, 'payment_intent');
      if (!pi) return missing('payment_intent', id);
      if (pi.status !== 'requires_action') return invalid(`This PaymentIntent has a status of ${pi.status}; it requires no action.`);
      pi.next_action = null;
      if (passed) {
        pi.status = pi.capture_method === 'manual' ? 'requires_capture' : 'succeeded';
        if (pi.status === 'succeeded') pi.amount_received = pi.amount;
        else pi.amount_capturable = pi.amount;
      } else {
        pi.status = 'requires_payment_method';
        pi.last_payment_error = {
          type: 'card_error',
          code: 'payment_intent_authentication_failure',
          message: 'The provided PaymentMethod has failed authentication.',
        };
      }
      await tx.update(pi, pi.customer);
      return { ok: true, value: pi };
    });
  }

  // ---- refunds ------------------------------------------------------------------------------------

  createRefund(params: CreateRefundParams, idempotencyKey?: string) {
    return this.write<StripeLikeRefund>('refunds.create', params, idempotencyKey, async (tx) => {
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
      const refund: StripeLikeRefund = {
        id: stripeLikeId('re'),
        object: 'refund',
        amount,
        currency: pi.currency,
        payment_intent: pi.id,
        reason: params.reason ?? null,
        status: 'succeeded',
        failure_reason: null,
        metadata: params.metadata ?? {},
        created: this.timestamp(),
      };
      await tx.insert(refund, 'refund', pi.id);
      return { ok: true, value: refund };
    });
  }

  retrieveRefund(id: string) {
    return this.read(async (tx) => {
      const refund = await tx.get<StripeLikeRefund>(id, 'refund');
      return refund ? { ok: true, value: refund } : missing('refund', id);
    });
  }

  // ---- internals ----------------------------------------------------------------------------------

  /**
   * Finds a payment method, or makes one the way Stripe's test mode does: a documented test id
   * (`pm_card_visa`) stands for a fresh card each time it is used, and any other unseen `pm_` id is
   * taken as a Visa ending 4242. An unknown `pm_card_` name does not exist.
   */
  private async resolvePaymentMethod(tx: LedgerTransaction, id: string): Promise<Outcome<StripeLikePaymentMethod>> {
    const existing = await tx.get<StripeLikePaymentMethod>(id, 'payment_method');
    if (existing) return { ok: true, value: existing };
    const testCard = TEST_PAYMENT_METHODS[id];
    if (!testCard && (id.startsWith('pm_card_') || !/^pm_[A-Za-z0-9_]+$/.test(id))) {
      return missing('PaymentMethod', id);
    }
    const card = testCard ?? DEFAULT_TEST_CARD;
    const pm: StripeLikePaymentMethod = {
      id: testCard ? stripeLikeId('pm') : id,
      object: 'payment_method',
      type: 'card',
      card: {
        brand: card.brand,
        last4: card.last4,
        exp_month: card.expMonth,
        exp_year: card.expYear,
        funding: card.funding,
        country: card.country,
      },
      billing_details: { name: null, email: null },
      customer: null,
      created: this.timestamp(),
      metadata: {},
    };
    await tx.insert(pm, 'payment_method', null);
    return { ok: true, value: pm };
  }

  private cardOf(pm: StripeLikePaymentMethod): TestCard {
    return pm.card ? testCardFor(pm.card.brand, pm.card.last4) : DEFAULT_TEST_CARD;
  }

  private unusable(id: string): Outcome<never> {
    return invalid(
      `The PaymentMethod ${id} was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.`,
      'payment_method',
    );
  }

  private checkAmount(amount: unknown, currency: unknown): Outcome<never> | null {
    if (typeof currency !== 'string' || !/^[a-z]{3}$/.test(currency)) return invalid('Invalid currency', 'currency');
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0) {
      return invalid('Invalid integer: amount', 'amount', 'parameter_invalid_integer');
    }
    if (amount < minimumCharge(currency)) {
      const exponent = currencyExponent(currency);
      const major = (minimumCharge(currency) / 10 ** exponent).toFixed(exponent);
      return invalid(`Amount must be at least ${major} ${currency}`, 'amount', 'amount_too_small');
    }
    if (amount > 99_999_999) return invalid('Amount must be no more than 99999999', 'amount', 'amount_too_large');
    return null;
  }

  /** Runs the card's charge outcome on an intent that has a payment method. */
  private confirm(
    pi: StripeLikePaymentIntent,
    pm: StripeLikePaymentMethod,
    returnUrl: string | undefined,
  ): Outcome<StripeLikePaymentIntent> {
    const outcome = this.cardOf(pm).onCharge;
    switch (outcome.kind) {
      case 'ok':
        if (pi.capture_method === 'manual') {
          pi.status = 'requires_capture';
          pi.amount_capturable = pi.amount;
        } else {
          pi.status = 'succeeded';
          pi.amount_received = pi.amount;
        }
        pi.latest_charge = stripeLikeId('ch');
        return { ok: true, value: pi };
      case 'authenticate':
        pi.status = 'requires_action';
        pi.next_action = returnUrl
          ? {
              type: 'redirect_to_url',
              redirect_to_url: { url: `https://hooks.stripe.com/3d_secure_2/hosted?payment_intent=${pi.id}`, return_url: returnUrl },
            }
          : { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: `https://hooks.stripe.com/redirect/authenticate/${pi.id}` } };
        return { ok: true, value: pi };
      case 'decline': {
        pi.status = 'requires_payment_method';
        pi.payment_method = null;
        pi.last_payment_error = { ...declined(outcome), payment_method: pm };
        pi.latest_charge = stripeLikeId('ch');
        return { ok: false, statusCode: 402, error: declined(outcome), paymentIntent: pi };
      }
    }
  }

  private async read<T>(fn: (tx: LedgerTransaction) => Promise<Outcome<T>>): Promise<T> {
    return unwrap(await this.ledger.transaction(fn));
  }

  /**
   * Runs a write under Stripe's idempotency rules. The outcome, a decline included, is stored with
   * the key in the same transaction as the write, so a replay answers exactly what the first call did.
   */
  private async write<T>(
    operation: string,
    params: unknown,
    idempotencyKey: string | undefined,
    fn: (tx: LedgerTransaction) => Promise<Outcome<T>>,
  ): Promise<T> {
    const outcome = await this.ledger.transaction(async (tx): Promise<Outcome<T>> => {
      if (idempotencyKey === undefined) return fn(tx);
      const fingerprint = createHash('sha256').update(`${operation}\n${canonicalJson(params)}`).digest('hex');
      const claim = await tx.claimIdempotencyKey<Outcome<T> | null>(idempotencyKey, fingerprint, null);
      if (claim.kind === 'mismatch') {
        return {
          ok: false,
          statusCode: 400,
          error: {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          },
        };
      }
      if (claim.kind === 'replay' && claim.response) return claim.response;
      const result = await fn(tx);
      await tx.saveIdempotencyResponse(idempotencyKey, result);
      return result;
    });
    return unwrap(outcome);
  }
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw new SimulatedStripeError(outcome.statusCode, outcome.error, outcome.paymentIntent ?? null);
}
