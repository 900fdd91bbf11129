import type { Principal } from '../auth/principal.js';
import type { CaptureMethod, Payment } from './models.js';

/** What a new payment asks of its terms: the quote it pays, and whether its capture waits for the delivery. */
export interface PaymentTermsInput {
  quoteId?: string | undefined;
  captureOn?: 'delivery' | undefined;
  captureMethod: CaptureMethod;
  orderId: string | null;
  amount: number;
  currency: string;
  /** Who pays: REQUIRE_QUOTE holds a customer's own user token to a quote. */
  principal?: Principal | null | undefined;
}

/** What is stored on the payment row beside it (migration 013). */
export interface PaymentTerms {
  quoteId: string | null;
  quoteBreakdown: Record<string, unknown> | null;
  captureOn: 'delivery' | null;
}

export const NO_TERMS: PaymentTerms = { quoteId: null, quoteBreakdown: null, captureOn: null };

/**
 * The delivery rules a payment is held to, seen from the payment path: checked before its row is
 * written, and before it is captured. Kept as an interface so payments know no quotes or peers.
 */
export interface PaymentTermsPolicy {
  termsFor(input: PaymentTermsInput): Promise<PaymentTerms>;
  /** Refuses (409 delivery_not_completed) the capture of a payment whose delivery is not confirmed yet. */
  assertCapturable(payment: Payment, callerToken: string | undefined): Promise<void>;
}
