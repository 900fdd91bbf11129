import type { LedgerTransaction, SimulatedLedger } from '../../store/simulated-ledger.js';
import type {
  StripeLikeCustomer,
  StripeLikePaymentIntent,
  StripeLikePaymentMethod,
  StripeLikeRefund,
} from '../stripe-shapes.js';
import { stripeLikeId } from './ids.js';
import { declined, invalid, missing, type Outcome } from './outcomes.js';
import { AUTHORIZATION_VALIDITY_SECONDS, checkExpand, expandIntent, expandOutcome, INTENT_EXPANSIONS } from './charges.js';
import {
  authenticate,
  cancel,
  capture,
  checkAmount,
  confirm,
  confirmExisting,
  newPaymentIntent,
  STRIPE_CHALLENGE_PAGES,
  type ChallengePages,
  type ConfirmPaymentIntentParams,
  type CreatePaymentIntentParams,
} from './payment-intents.js';
import { cardOf, createCardPaymentMethod, resolvePaymentMethod, unusable } from './payment-methods.js';
import { refundPaymentIntent, settleRefund, type CreateRefundParams } from './refunds.js';
import { paymentIntentEventTypes, recordEvents, type StripeLikeEvent } from './events.js';
import { page, readOnce, writeOnce, type WriteMode } from './idempotent-writes.js';

export type { ConfirmPaymentIntentParams, CreatePaymentIntentParams } from './payment-intents.js';
export type { CreateRefundParams } from './refunds.js';

/** Stripe's `expand[]`: intents expand `latest_charge`, lists of them `data.latest_charge`. */
type Expand = { expand?: string[] | undefined };

export interface SimulatedStripeOptions {
  /**
   * The simulated processor's demo convenience, never Stripe's behaviour: an unseen well-formed
   * `pm_` id is taken as a Visa ending 4242 (at Stripe it is a 404).
   */
  acceptAnyPaymentMethodId?: boolean;
  /**
   * How long after its creation a refund reaches its later state (pending → succeeded for
   * `pm_card_pendingRefund`, succeeded → failed for `pm_card_refundFail`) when it is next
   * retrieved. Null: only when `settleRefunds` is called.
   */
  settleRefundsAfterMs?: number | null;
  now?: () => Date;
  /** Stripe's hosted 3-D Secure pages, unless the host serves its own (the service in simulated mode). */
  challengePages?: ChallengePages;
  /**
   * How long a manual-capture authorization holds (`latest_charge.payment_method_details.card.capture_before`
   * = creation + this); 7 days unless a test wants a card network's other deadline.
   */
  authorizationValiditySeconds?: number;
}

/**
 * An in-process payment processor that behaves like Stripe's test mode: the same objects, the same
 * test cards and outcomes, the same idempotency rules (same key and parameters: the stored answer;
 * same key, other parameters: an `idempotency_error`). Its state lives in the service's database.
 */
export class SimulatedStripe {
  constructor(
    private readonly ledger: SimulatedLedger,
    private readonly options: SimulatedStripeOptions = {},
  ) {}

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private timestamp(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  private resolvePaymentMethod(tx: LedgerTransaction, id: string, lock: 'update' | 'share' = 'update') {
    return resolvePaymentMethod(tx, id, () => this.timestamp(), this.options.acceptAnyPaymentMethodId ?? false, lock);
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
      await tx.insert(customer, 'customer', customer.email);
      return { ok: true, value: customer };
    });
  }

  /** Stripe's email filter: exact, case-sensitive, newest first. */
  listCustomers(params: { email: string; limit?: number }) {
    return this.read(async (tx) => {
      const limit = params.limit ?? 10;
      const found = await tx.find<StripeLikeCustomer>('customer', params.email, limit + 1, 'newest');
      return { ok: true, value: { object: 'list' as const, data: found.slice(0, limit), has_more: found.length > limit } };
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
      await tx.update(customer, customer.email);
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
      if (pm.metadata['detached'] === 'true') return unusable();
      const outcome = cardOf(pm).onAttach;
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

  /** What Stripe.js does in the browser: a new card from a test token (`tok_visa`), attached to no one. */
  createPaymentMethod(params: { type: 'card'; card: { token: string } }, idempotencyKey?: string) {
    return this.write<StripeLikePaymentMethod>('payment_methods.create', params, idempotencyKey, (tx) =>
      createCardPaymentMethod(tx, params.card.token, () => this.timestamp()),
    );
  }

  detachPaymentMethod(id: string, idempotencyKey?: string) {
    return this.write<StripeLikePaymentMethod>('payment_methods.detach', { id }, idempotencyKey, async (tx) => {
      const pm = await tx.get<StripeLikePaymentMethod>(id, 'payment_method');
      if (!pm) return missing('payment_method', id);
      if (pm.customer === null) return invalid('The payment method you provided is not attached to a customer so detachment is impossible.');
      const customer = await tx.get<StripeLikeCustomer>(pm.customer, 'customer');
      if (customer && customer.invoice_settings.default_payment_method === id) {
        customer.invoice_settings.default_payment_method = null;
        await tx.update(customer, customer.email);
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
      const checked = checkExpand(params.expand, INTENT_EXPANSIONS) ?? checkAmount(params.amount, params.currency);
      if (checked) return checked;
      // Only looked at, never locked: a creation only adds objects, written with its key in one
      // statement, so one customer's (or one card's) payments do not wait for each other here.
      await tx.preload([
        ...(params.customer ? [{ id: params.customer, type: 'customer' as const }] : []),
        ...(params.payment_method ? [{ id: params.payment_method, type: 'payment_method' as const }] : []),
      ]);
      if (params.customer && !(await tx.get(params.customer, 'customer', 'none'))) return missing('customer', params.customer);
      let pm: StripeLikePaymentMethod | null = null;
      if (params.payment_method) {
        const found = await this.resolvePaymentMethod(tx, params.payment_method);
        if (!found.ok) return found;
        pm = found.value;
        if (pm.metadata['detached'] === 'true') return unusable();
        if (pm.customer !== null && pm.customer !== params.customer) {
          return invalid('The provided PaymentMethod belongs to a different Customer.', 'payment_method');
        }
      }
      const pi = newPaymentIntent(params, pm, () => this.timestamp());
      let outcome: Outcome<StripeLikePaymentIntent> = { ok: true, value: pi };
      if (pm && params.confirm) outcome = confirm(pi, pm, params.return_url, this.challengePages());
      await tx.insert(pi, 'payment_intent', pi.customer);
      if (pm && params.confirm) await recordEvents(tx, paymentIntentEventTypes(pi), pi, this.timestamp());
      return expandOutcome(tx, outcome, params.expand, this.validity(), pm);
    }, 'at-once');
  }

  /**
   * Confirms an intent that exists, as Stripe.js does in the browser with the intent's client
   * secret (`confirmCardPayment`), here with the secret key: with a new card after a decline or a
   * failed 3-D Secure, it may still succeed, which is why the service cancels intents it gave up on.
   */
  confirmPaymentIntent(id: string, params: ConfirmPaymentIntentParams & { client_secret?: string | undefined }, idempotencyKey?: string) {
    return this.write<StripeLikePaymentIntent>('payment_intents.confirm', { id, ...params }, idempotencyKey, async (tx) => {
      const checked = checkExpand(params.expand, INTENT_EXPANSIONS);
      if (checked) return checked;
      const pi = await tx.get<StripeLikePaymentIntent>(id, 'payment_intent');
      if (!pi) return missing('payment_intent', id);
      // Stripe.js confirms with the intent's client secret; a wrong one is refused, as Stripe refuses it.
      if (params.client_secret !== undefined && params.client_secret !== pi.client_secret) {
        return invalid('The client_secret provided does not match any associated PaymentIntent on this account.', 'client_secret');
      }
      const pmId = params.payment_method ?? pi.payment_method;
      if (!pmId) {
        return invalid(
          'You cannot confirm this PaymentIntent because it\'s missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.',
          'payment_method',
          'payment_intent_unexpected_state',
        );
      }
      const found = await this.resolvePaymentMethod(tx, pmId);
      if (!found.ok) return found;
      const pm = found.value;
      if (pm.metadata['detached'] === 'true') return unusable();
      if (pm.customer !== null && pm.customer !== pi.customer) {
        return invalid('The provided PaymentMethod belongs to a different Customer.', 'payment_method');
      }
      const outcome = confirmExisting(pi, pm, params.return_url, this.challengePages());
      // A refusal of the state leaves the intent as it was; a decline changed it (a new last error).
      if (outcome.ok || outcome.paymentIntent) {
        await tx.update(pi, pi.customer);
        await recordEvents(tx, paymentIntentEventTypes(pi), pi, this.timestamp());
      }
      return expandOutcome(tx, outcome, params.expand, this.validity());
    });
  }

  private validity(): number {
    return this.options.authorizationValiditySeconds ?? AUTHORIZATION_VALIDITY_SECONDS;
  }

  private challengePages(): ChallengePages {
    return this.options.challengePages ?? STRIPE_CHALLENGE_PAGES;
  }

  /** A customer's intents created at or after `created.gte`, newest first, a page at a time as Stripe lists. */
  listPaymentIntents(params: { customer: string; created?: { gte?: number | undefined } | undefined; limit?: number | undefined; starting_after?: string | undefined } & Expand) {
    return this.read(async (tx) => {
      const checked = checkExpand(params.expand, INTENT_EXPANSIONS.map((path) => `data.${path}`));
      if (checked) return checked;
      const all = await tx.find<StripeLikePaymentIntent>('payment_intent', params.customer, 10_000, 'newest');
      const listed = page(all.filter((pi) => pi.created >= (params.created?.gte ?? 0)), params);
      const expand = params.expand?.map((path) => path.replace(/^data\./, ''));
      return { ok: true, value: { ...listed, data: await Promise.all(listed.data.map((pi) => expandIntent(tx, pi, expand, this.validity()))) } };
    });
  }

  retrievePaymentIntent(id: string, params: Expand = {}) {
    return this.read(async (tx) => {
      const checked = checkExpand(params.expand, INTENT_EXPANSIONS);
      if (checked) return checked;
      const pi = await tx.get<StripeLikePaymentIntent>(id, 'payment_intent');
      return pi ? { ok: true, value: await expandIntent(tx, pi, params.expand, this.validity()) } : missing('payment_intent', id);
    });
  }

  capturePaymentIntent(id: string, params: { amount_to_capture?: number | undefined } & Expand, idempotencyKey?: string) {
    return this.write<StripeLikePaymentIntent>('payment_intents.capture', { id, ...params }, idempotencyKey, async (tx) => {
      const checked = checkExpand(params.expand, INTENT_EXPANSIONS);
      if (checked) return checked;
      const pi = await tx.get<StripeLikePaymentIntent>(id, 'payment_intent');
      if (!pi) return missing('payment_intent', id);
      const captured = capture(pi, params.amount_to_capture);
      if (captured.ok) {
        await tx.update(pi, pi.customer);
        await recordEvents(tx, paymentIntentEventTypes(pi), pi, this.timestamp());
      }
      return expandOutcome(tx, captured, params.expand, this.validity());
    });
  }

  cancelPaymentIntent(id: string, params: { cancellation_reason?: string | undefined } & Expand, idempotencyKey?: string) {
    return this.write<StripeLikePaymentIntent>('payment_intents.cancel', { id, ...params }, idempotencyKey, async (tx) => {
      const checked = checkExpand(params.expand, INTENT_EXPANSIONS);
      if (checked) return checked;
      const pi = await tx.get<StripeLikePaymentIntent>(id, 'payment_intent');
      if (!pi) return missing('payment_intent', id);
      const canceled = cancel(pi, params.cancellation_reason, () => this.timestamp());
      if (canceled.ok) {
        await tx.update(pi, pi.customer);
        await recordEvents(tx, paymentIntentEventTypes(pi), pi, this.timestamp());
      }
      return expandOutcome(tx, canceled, params.expand, this.validity());
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
      const authenticated = authenticate(pi, passed);
      if (authenticated.ok) {
        await tx.update(pi, pi.customer);
        await recordEvents(tx, paymentIntentEventTypes(pi), pi, this.timestamp());
      }
      return authenticated;
    });
  }

  // ---- refunds ------------------------------------------------------------------------------------

  createRefund(params: CreateRefundParams, idempotencyKey?: string) {
    return this.write<StripeLikeRefund>('refunds.create', params, idempotencyKey, (tx) => refundPaymentIntent(tx, params, () => this.timestamp()));
  }

  retrieveRefund(id: string) {
    return this.read(async (tx) => {
      const refund = await tx.get<StripeLikeRefund>(id, 'refund');
      if (!refund) return missing('refund', id);
      const delay = this.options.settleRefundsAfterMs ?? null;
      if (delay !== null && refund.created * 1000 + delay <= this.now().getTime()) await settleRefund(tx, refund, this.timestamp());
      return { ok: true, value: refund };
    });
  }

  /** A payment intent's refunds, newest first, a page at a time. */
  listRefunds(params: { payment_intent: string; limit?: number | undefined; starting_after?: string | undefined }) {
    return this.read(async (tx) => ({ ok: true, value: page(await tx.find<StripeLikeRefund>('refund', params.payment_intent, 10_000, 'newest'), params) }));
  }

  /**
   * What Stripe does to refunds "some time later", now: pending refunds of `pm_card_pendingRefund`
   * succeed and succeeded refunds of `pm_card_refundFail` fail, with their events. Answers the
   * refunds that changed.
   */
  async settleRefunds(): Promise<StripeLikeRefund[]> {
    return this.ledger.transaction(async (tx) => {
      const changed: StripeLikeRefund[] = [];
      for (const refund of await tx.findByStatus<StripeLikeRefund>('refund', ['pending', 'succeeded'])) {
        if (await settleRefund(tx, refund, this.timestamp())) changed.push(refund);
      }
      return changed;
    });
  }

  /** The events Stripe would have sent, oldest first, after position `afterSeq`. */
  events(afterSeq = 0, limit = 1000): Promise<Array<{ seq: number; event: StripeLikeEvent }>> {
    return this.ledger.transaction((tx) => tx.events<StripeLikeEvent>(afterSeq, limit));
  }

  private read<T>(fn: (tx: LedgerTransaction) => Promise<Outcome<T>>): Promise<T> {
    return readOnce(this.ledger, fn);
  }

  private write<T>(operation: string, params: unknown, idempotencyKey: string | undefined, fn: (tx: LedgerTransaction) => Promise<Outcome<T>>, mode?: WriteMode): Promise<T> {
    return writeOnce(this.ledger, operation, params, idempotencyKey, fn, mode);
  }
}
