import type { ProcessorError, ProcessorPaymentIntent } from '../processors/processor.js';
import type { PaymentOutcome } from '../store/payments-repository.js';
import type { Payment } from './models.js';

/** What the processor holds for an intent, as the outcome we record. */
export function outcomeFromIntent(intent: ProcessorPaymentIntent): PaymentOutcome {
  return {
    processorPaymentIntentId: intent.id,
    status: intent.status,
    amountCapturable: intent.amountCapturable,
    amountReceived: intent.amountReceived,
    clientSecret: intent.clientSecret,
    nextAction: intent.nextAction,
    failureCode: intent.lastError?.code ?? null,
    declineCode: intent.lastError?.declineCode ?? null,
    failureMessage: intent.lastError?.message ?? null,
    captureBefore: intent.captureBefore,
  };
}

/**
 * What a creation the processor certainly refused leaves on the row: a decline awaits another card
 * (requires_payment_method), anything else is canceled; the reason is kept either way.
 */
export function outcomeFromRefusal(error: ProcessorError): PaymentOutcome {
  return {
    processorPaymentIntentId: null,
    status: error.kind === 'card_declined' ? 'requires_payment_method' : 'canceled',
    amountCapturable: 0,
    amountReceived: 0,
    clientSecret: null,
    nextAction: null,
    failureCode: error.code ?? error.kind,
    declineCode: error.declineCode,
    failureMessage: error.message,
    captureBefore: null,
  };
}

/** True when the processor's view of the payment must be fetched before anything else is done with it. */
export function needsResolution(payment: Payment): boolean {
  return payment.status === 'unknown' || payment.status === 'processing' || payment.pendingOperation !== null;
}

/**
 * A browser-confirmed payment (no card on its row) that Stripe.js has not confirmed yet, or whose
 * card was declined: its client secret may still confirm it, so it holds its order (migration 010).
 */
export function awaitsBrowser(payment: Payment): boolean {
  return payment.paymentMethodId === null && (payment.status === 'requires_payment_method' || payment.status === 'requires_confirmation');
}

/** Waiting for the customer: 3-D Secure, or a browser's confirmation. Refreshed when polled, abandoned after a day. */
export function awaitsCustomer(payment: Payment): boolean {
  return payment.status === 'requires_action' || payment.status === 'requires_confirmation' || awaitsBrowser(payment);
}
