import type { CreatePaymentIntentInput, PaymentProcessor, ProcessorPaymentIntent } from '../processors/processor.js';
import type { Payment } from './models.js';
import { processorKey } from './processor-keys.js';

/**
 * What the processor is asked to create for a payment row. The row's id goes into the metadata,
 * so the intent can be found again when no answer about it can be had.
 */
export function paymentIntentRequest(payment: Payment): CreatePaymentIntentInput {
  const customerId = payment.customerProcessorId!;
  return {
    amount: payment.amount,
    currency: payment.currency,
    customerId,
    paymentMethodId: payment.paymentMethodId,
    captureMethod: payment.captureMethod,
    description: payment.description ?? (payment.orderId ? `CommuneDrop order ${payment.orderId}` : null),
    returnUrl: payment.returnUrl,
    metadata: {
      payment_id: payment.id,
      customer_id: customerId,
      ...(payment.orderId ? { order_id: payment.orderId } : {}),
    },
  };
}

/** The creation's key: `pi-create:<id>`, then `pi-create:<id>:<n>` for each fresh attempt after a replayed failure. */
export function creationKey(payment: Payment): string {
  return payment.createAttempt === 0 ? processorKey('pi-create', payment.id) : processorKey('pi-create', payment.id, payment.createAttempt);
}

/** How much earlier than our row an intent for it is looked for: the two clocks may differ. */
const CLOCK_SKEW_MS = 10 * 60 * 1000;

/** The intent the processor made for a payment row, found by the row's id in its metadata; null when none. */
export function findCreatedIntent(processor: PaymentProcessor, payment: Payment): Promise<ProcessorPaymentIntent | null> {
  const since = new Date(payment.createdAt.getTime() - CLOCK_SKEW_MS);
  return processor.findPaymentIntentByMetadata(payment.customerProcessorId!, { payment_id: payment.id }, since);
}
