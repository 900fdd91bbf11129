import type { PaymentStatus } from './payment-state.js';

/** A customer of ours; `processorCustomerId` (cus_...) is the id clients see, null until the processor has answered. */
export interface Customer {
  id: string;
  processorCustomerId: string | null;
  email: string;
  name: string | null;
  /** Counts the customer's deleted cards; part of the attach key, so a card saved again after a deletion is attached anew. */
  cardGeneration: number;
  /** The user id of the customer token that created it; null when a service or an administrator did. */
  ownerSubject: string | null;
  createdAt: Date;
}

/** A card saved for a customer. Only the processor's token and display details: never a card number. */
export interface SavedCard {
  id: string;
  customerId: string;
  brand: string;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
  cardholderName: string | null;
  isDefault: boolean;
  createdAt: Date;
}

export type CaptureMethod = 'automatic' | 'manual';

export interface Payment {
  id: string;
  processor: string;
  processorPaymentIntentId: string | null;
  customerId: string;
  /** The customer's id as clients know it (cus_...). */
  customerProcessorId: string | null;
  /** Null for a browser-confirmed payment (Stripe.js confirms it with the customer's card). */
  paymentMethodId: string | null;
  orderId: string | null;
  amount: number;
  currency: string;
  captureMethod: CaptureMethod;
  status: PaymentStatus;
  amountCapturable: number;
  amountReceived: number;
  /** Sum of the payment's succeeded refunds. */
  amountRefunded: number;
  description: string | null;
  returnUrl: string | null;
  clientSecret: string | null;
  nextAction: Record<string, unknown> | null;
  failureCode: string | null;
  declineCode: string | null;
  failureMessage: string | null;
  captureBefore: Date | null;
  /** A capture or cancel sent to the processor whose answer is not recorded yet. */
  pendingOperation: 'capture' | 'cancel' | null;
  pendingAmount: number | null;
  /** Counts capture and cancel attempts: each is sent with a key of its own. */
  operationAttempt: number;
  /** Counts creations sent with a fresh key after the key of the one before only replayed a stored failure. */
  createAttempt: number;
  /**
   * The payment that held the order when this one went live at the processor after the service had
   * given up on it: this one is then settled (refunded or canceled), never the order's payment.
   */
  supersededBy: string | null;
  /** Who the payment holds its order against (migration 018): its own customer only, or everyone. */
  orderHold: OrderHold;
  /** Its delivery terms (migration 013): the quote it pays, the breakdown charged, capture on delivery. */
  quoteId: string | null;
  quoteBreakdown: Record<string, unknown> | null;
  captureOn: 'delivery' | null;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * `customer`: paid with the customer's own (user) token, the payment holds its order against that
 * customer only; `order`: paid by a service or an administrator, it holds the order against everyone.
 */
export type OrderHold = 'customer' | 'order';

export const REFUND_STATUSES = ['unknown', 'pending', 'requires_action', 'succeeded', 'failed', 'canceled'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

/** Refund statuses whose amount is spoken for: they count against what is left to refund. */
export const REFUND_HOLDING_STATUSES: readonly RefundStatus[] = ['unknown', 'pending', 'requires_action', 'succeeded'];

export interface Refund {
  id: string;
  processorRefundId: string | null;
  paymentId: string;
  amount: number;
  currency: string;
  reason: string | null;
  status: RefundStatus;
  failureReason: string | null;
  /** As for payments: creations sent with a fresh key after a replayed failure. */
  createAttempt: number;
  createdAt: Date;
}
