import type { KnownPaymentStatus } from '../domain/payment-state.js';

/** A saved card as the processor knows it. Brand, last4 and expiry always come from here when it has them. */
export interface ProcessorPaymentMethod {
  id: string;
  customerId: string | null;
  brand: string;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
  cardholderName: string | null;
}

export interface ProcessorPaymentError {
  code: string;
  declineCode: string | null;
  message: string;
}

export interface ProcessorPaymentIntent {
  id: string;
  status: KnownPaymentStatus;
  amount: number;
  currency: string;
  amountCapturable: number;
  amountReceived: number;
  captureMethod: 'automatic' | 'manual';
  clientSecret: string | null;
  /** What the client must do next (3-D Secure), exactly as the processor describes it. */
  nextAction: Record<string, unknown> | null;
  /** Why the last attempt failed; set after a decline. */
  lastError: ProcessorPaymentError | null;
  /** When an authorization lapses if it is not captured. */
  captureBefore: Date | null;
}

export type ProcessorRefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

export interface ProcessorRefund {
  id: string;
  paymentIntentId: string;
  amount: number;
  currency: string;
  status: ProcessorRefundStatus;
  failureReason: string | null;
  /** What we set when creating it: `refund_id` is our row's id. */
  metadata: Record<string, string>;
}

/** A customer at the processor; several may share one email there, told apart by age. */
export interface ProcessorCustomer {
  id: string;
  created: Date;
}

export interface CreatePaymentIntentInput {
  amount: number;
  currency: string;
  customerId: string;
  /**
   * The card to charge, confirmed at once; null for Stripe's browser-confirmed flow: the intent is
   * created unconfirmed (`requires_payment_method`) and Stripe.js confirms it with its client secret.
   */
  paymentMethodId: string | null;
  captureMethod: 'automatic' | 'manual';
  description: string | null;
  returnUrl: string | null;
  metadata: Record<string, string>;
}

export type ProcessorRefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';

export interface CreateRefundInput {
  paymentIntentId: string;
  amount: number;
  reason: ProcessorRefundReason | null;
  metadata: Record<string, string>;
}

/**
 * The seam between the service and whoever moves the money. Every call that creates or changes
 * something takes an idempotency key derived from our own row, so a retry never repeats the effect.
 * A decline is not an exception: `createPaymentIntent` answers the intent with its `lastError`.
 */
export interface PaymentProcessor {
  readonly name: 'simulated' | 'stripe';
  /** The customers whose email is exactly `email` (the processor compares case-sensitively). */
  findCustomersByEmail(email: string): Promise<ProcessorCustomer[]>;
  createCustomer(input: { email: string; name: string | null; metadata: Record<string, string> }, idempotencyKey: string): Promise<{ id: string }>;
  setDefaultPaymentMethod(customerId: string, paymentMethodId: string, idempotencyKey: string): Promise<void>;
  attachPaymentMethod(paymentMethodId: string, customerId: string, idempotencyKey: string): Promise<ProcessorPaymentMethod>;
  retrievePaymentMethod(paymentMethodId: string): Promise<ProcessorPaymentMethod>;
  detachPaymentMethod(paymentMethodId: string, idempotencyKey: string): Promise<void>;
  listPaymentMethods(customerId: string): Promise<ProcessorPaymentMethod[]>;
  createPaymentIntent(input: CreatePaymentIntentInput, idempotencyKey: string): Promise<ProcessorPaymentIntent>;
  retrievePaymentIntent(id: string): Promise<ProcessorPaymentIntent>;
  capturePaymentIntent(id: string, amount: number | null, idempotencyKey: string): Promise<ProcessorPaymentIntent>;
  cancelPaymentIntent(id: string, idempotencyKey: string): Promise<ProcessorPaymentIntent>;
  createRefund(input: CreateRefundInput, idempotencyKey: string): Promise<ProcessorRefund>;
  retrieveRefund(id: string): Promise<ProcessorRefund>;
  /**
   * The customer's intent created since `createdSince` whose metadata holds every entry of
   * `metadata`, or null: how a creation whose key only replays a stored failure is settled.
   */
  findPaymentIntentByMetadata(customerId: string, metadata: Record<string, string>, createdSince: Date): Promise<ProcessorPaymentIntent | null>;
  /** The intent's refund whose metadata holds every entry of `metadata`, or null. */
  findRefundByMetadata(paymentIntentId: string, metadata: Record<string, string>): Promise<ProcessorRefund | null>;
}

/**
 * What went wrong at the processor, in categories the service acts on:
 * - `card_declined`: the card was refused (402);
 * - `invalid_request` / `not_found` / `idempotency`: our request was wrong (4xx);
 * - `authentication`: our credentials are wrong (a 500 for the client, loud in the logs);
 * - `rate_limited` / `unavailable`: the processor could not answer, and the outcome is unknown.
 */
export type ProcessorErrorKind =
  | 'card_declined'
  | 'invalid_request'
  | 'not_found'
  | 'idempotency'
  | 'authentication'
  | 'rate_limited'
  | 'unavailable';

export class ProcessorError extends Error {
  readonly kind: ProcessorErrorKind;
  readonly code: string | null;
  readonly declineCode: string | null;
  readonly param: string | null;
  /**
   * The processor answered this from its idempotency store: the first request with the key ended
   * this way, and sending the key again will only ever repeat it.
   */
  readonly replayed: boolean;

  constructor(
    kind: ProcessorErrorKind,
    message: string,
    details: { code?: string | null; declineCode?: string | null; param?: string | null; replayed?: boolean; cause?: unknown } = {},
  ) {
    super(message, { cause: details.cause });
    this.name = 'ProcessorError';
    this.kind = kind;
    this.code = details.code ?? null;
    this.declineCode = details.declineCode ?? null;
    this.param = details.param ?? null;
    this.replayed = details.replayed ?? false;
  }

  /**
   * True when the processor may or may not have acted: the row must stay `unknown` and be
   * reconciled. Refused credentials (a rotated or revoked key) say nothing about what an earlier
   * attempt with the same key did, so they settle nothing either: the row waits until the key works.
   */
  get outcomeUnknown(): boolean {
    return this.kind === 'unavailable' || this.kind === 'rate_limited' || this.kind === 'authentication';
  }

  /** A stored server failure replayed for our key: retrying the key is useless, the object must be looked up. */
  get replayedFailure(): boolean {
    return this.replayed && this.kind === 'unavailable';
  }
}
