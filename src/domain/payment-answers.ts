import { AppError } from '../errors.js';
import type { Payment } from './models.js';

/**
 * How a creation is answered, fresh or resumed: a decline is 402 (its intent canceled since, or
 * not), a creation the processor refused is the refusal again, an outcome still unknown is 503;
 * anything else is the payment.
 */
export function answerFor(payment: Payment): Payment {
  // A decline stays a decline once the service has canceled the intent it left open at the processor.
  const failedAttempt = payment.status === 'requires_payment_method' || (payment.status === 'canceled' && payment.processorPaymentIntentId !== null);
  if (failedAttempt && payment.failureMessage) throw declined(payment);
  if (payment.status === 'canceled' && payment.processorPaymentIntentId === null && payment.failureCode) {
    const missing = payment.failureCode === 'not_found' || payment.failureCode === 'resource_missing';
    throw new AppError(missing ? 'payment_method_not_found' : 'processor_invalid_request', payment.failureMessage ?? 'The processor refused this payment');
  }
  if (payment.status === 'unknown') throw outcomeUnknown(payment);
  return payment;
}

export function outcomeUnknown(payment: Payment): AppError {
  return new AppError(
    'processor_unavailable',
    'The payment processor could not be reached; the outcome is not known yet and the service settles it. ' +
      'Check it with GET /payment/payment-intent/{payment_intent_id}',
    { payment_intent_id: payment.processorPaymentIntentId ?? payment.id },
  );
}

/** The answer for a payment that is not there, or not the caller's to see: the two must not differ. */
export function paymentIntentNotFound(paymentIntentId: string): AppError {
  return new AppError('payment_intent_not_found', `No payment intent ${paymentIntentId}`);
}

export function declined(payment: Payment): AppError {
  return new AppError('card_declined', payment.failureMessage ?? 'Your card was declined.', {
    decline_code: payment.declineCode ?? payment.failureCode ?? 'generic_decline',
    payment_intent_id: payment.processorPaymentIntentId,
  });
}

/**
 * The 409 for an order held against a new payment. Only a caller allowed to see the holder (its own
 * customer, a service, an administrator) is told its id and status; anyone else learns only that
 * the order is being paid, the same answer whoever holds it.
 */
export function orderAlreadyPaid(orderId: string, holder: Payment | null, named = true): AppError {
  if (!named) {
    return new AppError('order_already_paid', `Order ${orderId} is already being paid; it cannot be charged twice`, { payment_intent_id: null });
  }
  const state = holder?.status === 'succeeded' ? 'has already been paid' : `already has a payment that is ${holder?.status ?? 'in progress'}`;
  return new AppError('order_already_paid', `Order ${orderId} ${state}; it cannot be charged twice`, {
    payment_intent_id: holder ? (holder.processorPaymentIntentId ?? holder.id) : null,
    status: holder?.status ?? 'unknown',
  });
}
