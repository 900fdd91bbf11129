import { createHash } from 'node:crypto';
import type { LedgerTransaction, SimulatedLedger } from '../../store/simulated-ledger.js';
import type {
  StripeLikeCustomer,
  StripeLikePaymentIntent,
  StripeLikePaymentMethod,
  StripeLikeRefund,
} from '../stripe-shapes.js';
import { stripeLikeId } from './ids.js';
import { declined, invalid, missing, unwrap, type Outcome } from './outcomes.js';
import {
  authenticate,
  cancel,
  capture,
  checkAmount,
  confirm,
  newPaymentIntent,
  STRIPE_CHALLENGE_PAGES,
  type ChallengePages,
  type CreatePaymentIntentParams,
} from './payment-intents.js';
import { cardOf, resolvePaymentMethod, unusable } from './payment-methods.js';
import { refundPaymentIntent, type CreateRefundParams } from './refunds.js';
import { canonicalJson } from '../../util/canonical-json.js';

export type { CreatePaymentIntentParams } from './payment-intents.js';
export type { CreateRefundParams } from './refunds.js';

/**
 * An in-process payment processor that behaves like Stripe's test mode: the same objects, the same
 * test cards and outcomes, the same idempotency rules (same key and parameters: the stored answer;
 * same key, other parameters: an `idempotency_error`). Its state lives in the service's database.
 */
export class SimulatedStripe {
  constructor(
    private readonly ledger: SimulatedLedger,
    private readonly now: () => Date = () => new Date(),
    /** Stripe's hosted 3-D Secure pages, unless the host serves its own (the service in simulated mode). */
    private readonly challengePages: ChallengePages = STRIPE_CHALLENGE_PAGES,
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
      const found = await resolvePaymentMethod(tx, id, () => this.timestamp());
      if (!found.ok) return found;
      const pm = found.value;
      if (pm.customer === params.customer) return { ok: true, value: pm };
      if (pm.customer !== null) {
        return invalid('The payment method you provided has already been attached to a customer.', 'payment_method');
      }
      if (pm.metadata['detached'] === 'true') return unusable(pm.id);
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
      return pm ? { ok: true, value: pm } : resolvePaymentMethod(tx, id, () => this.timestamp());
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
      const checked = checkAmount(params.amount, params.currency);
      if (checked) return checked;
      if (params.customer && !(await tx.get(params.customer, 'customer'))) return missing('customer', params.customer);
      let pm: StripeLikePaymentMethod | null = null;
      if (params.payment_method) {
        const found = await resolvePaymentMethod(tx, params.payment_method, () => this.timestamp());
        if (!found.ok) return found;
        pm = found.value;
        if (pm.metadata['detached'] === 'true') return unusable(pm.id);
        if (pm.customer !== null && pm.customer !== params.customer) {
          return invalid('The provided PaymentMethod belongs to a different Customer.', 'payment_method');
        }
      }
      const pi = newPaymentIntent(params, pm, () => this.timestamp());
      let outcome: Outcome<StripeLikePaymentIntent> = { ok: true, value: pi };
      if (pm && params.confirm) outcome = confirm(pi, pm, params.return_url, this.challengePages);
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
      const captured = capture(pi, params.amount_to_capture);
      if (captured.ok) await tx.update(pi, pi.customer);
      return captured;
    });
  }

  cancelPaymentIntent(id: string, params: { cancellation_reason?: string | undefined }, idempotencyKey?: string) {
    return this.write<StripeLikePaymentIntent>('payment_intents.cancel', { id, ...params }, idempotencyKey, async (tx) => {
      const pi = await tx.get<StripeLikePaymentIntent>(id, 'payment_intent');
      if (!pi) return missing('payment_intent', id);
      const canceled = cancel(pi, params.cancellation_reason, () => this.timestamp());
      if (canceled.ok) await tx.update(pi, pi.customer);
      return canceled;
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
      if (authenticated.ok) await tx.update(pi, pi.customer);
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
      return refund ? { ok: true, value: refund } : missing('refund', id);
    });
  }

  // ---- internals ----------------------------------------------------------------------------------

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
