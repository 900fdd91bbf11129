import { formatCardExpiry } from '../domain/cards.js';
import type { DeliveryView } from '../domain/deliveries.js';
import type { Payment, Refund, SavedCard } from '../domain/models.js';
import { awaitsBrowser } from '../domain/payment-outcomes.js';

// Domain objects in the API document's field names. Routes answer only through these.

export function presentAttachedCard(card: SavedCard) {
  return { payment_method_id: card.id, card_last4: card.last4, card_brand: card.brand };
}

export function presentSavedCard(card: SavedCard) {
  return {
    payment_method_id: card.id,
    card_last4: card.last4,
    card_brand: card.brand,
    cardholder_name: card.cardholderName,
    expiry_date: formatCardExpiry(card.expMonth, card.expYear),
    is_default: card.isDefault,
  };
}

/** The creation answer: the document's four fields, plus what the client needs for 3-D Secure or capture. */
export function presentPaymentIntent(payment: Payment) {
  const id = payment.processorPaymentIntentId ?? payment.id;
  // The client secret goes to whoever must act in the browser: 3-D Secure, or Stripe.js's confirmation.
  const clientSecret = payment.status === 'requires_action' || awaitsBrowser(payment) ? (payment.clientSecret ?? undefined) : undefined;
  return {
    payment_intent_id: id,
    paymentIntentId: id,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    ...(clientSecret !== undefined ? { client_secret: clientSecret, clientSecret } : {}),
    ...(payment.status === 'requires_action' ? { next_action: payment.nextAction ?? undefined } : {}),
    ...(payment.status === 'requires_capture' && payment.captureBefore
      ? { capture_before: payment.captureBefore.toISOString() }
      : {}),
  };
}

export function presentPaymentDetails(payment: Payment) {
  return {
    payment_intent_id: payment.processorPaymentIntentId,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    amount_received: payment.amountReceived,
    amount_capturable: payment.amountCapturable,
    amount_refunded: payment.amountRefunded,
    capture_method: payment.captureMethod,
    customer_id: payment.customerProcessorId,
    payment_method_id: payment.paymentMethodId,
    order_id: payment.orderId,
    last_payment_error:
      payment.failureCode || payment.failureMessage
        ? { code: payment.failureCode, decline_code: payment.declineCode, message: payment.failureMessage }
        : null,
    next_action: payment.nextAction,
    capture_before: payment.captureBefore?.toISOString() ?? null,
    created_at: payment.createdAt.toISOString(),
    updated_at: payment.updatedAt.toISOString(),
  };
}

/** The delivery block of a payment's status: whether it waits for a delivery, and what reported it. */
export function presentDelivery(view: DeliveryView) {
  const expected = view.terms?.captureOn === 'delivery';
  const delivered = view.events.find((event) => event.status === 'DELIVERED') ?? null;
  return {
    delivery: expected
      ? {
          expected,
          delivered_at: delivered?.receivedAt.toISOString() ?? null,
          delivered_by: delivered ? { event_id: delivered.id, source: delivered.source } : null,
          events: view.events.map((event) => ({ event_id: event.id, status: event.status, source: event.source, received_at: event.receivedAt.toISOString() })),
        }
      : null,
    quote: view.terms?.quoteId ? { quote_id: view.terms.quoteId, breakdown: view.terms.quoteBreakdown ?? {} } : null,
  };
}

export function presentRefund(refund: Refund, paymentIntentId: string) {
  return {
    refund_id: refund.processorRefundId ?? refund.id,
    status: refund.status,
    amount: refund.amount,
    currency: refund.currency,
    payment_intent: paymentIntentId,
  };
}

export function presentRefundDetails(refund: Refund, paymentIntentId: string) {
  return {
    ...presentRefund(refund, paymentIntentId),
    reason: refund.reason,
    failure_reason: refund.failureReason,
    created_at: refund.createdAt.toISOString(),
  };
}
