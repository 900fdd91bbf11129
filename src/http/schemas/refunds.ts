import { Type, type Static } from '@sinclair/typebox';
import { REFUND_REASONS } from '../../domain/refunds.js';
import { Amount, PaymentIntentId } from './common.js';

export const CreateRefundBody = Type.Object({
  paymentIntentId: Type.Optional({ ...PaymentIntentId, description: 'The payment to refund (pi_...). Send this or orderId.' }),
  orderId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'The order whose payment to refund, in place of paymentIntentId (the Order Service\'s form). Without amount, a second call answers the same refund.',
      examples: ['order_1234567890'],
    }),
  ),
  amount: Type.Optional({ ...Amount, description: 'Minor units to refund; default: all that is left.', examples: [1000] }),
  reason: Type.Optional(Type.Union(REFUND_REASONS.map((r) => Type.Literal(r)), { description: 'customer_requested (same as requested_by_customer), duplicate or fraudulent.' })),
});
export type CreateRefundBody = Static<typeof CreateRefundBody>;

export const RefundData = Type.Object({
  refund_id: Type.String({ examples: ['re_1234567890'] }),
  status: Type.String({ description: 'succeeded, pending, requires_action, failed, canceled, or unknown while the processor\'s answer is awaited.', examples: ['succeeded'] }),
  amount: Amount,
  currency: Type.String({ examples: ['usd'] }),
  payment_intent: PaymentIntentId,
});

export const ListRefundsQuery = Type.Object({ paymentIntentId: PaymentIntentId });
export type ListRefundsQuery = Static<typeof ListRefundsQuery>;

export const RefundDetails = Type.Object({
  refund_id: Type.String({ examples: ['re_1234567890'] }),
  status: Type.String({ examples: ['succeeded'] }),
  amount: Amount,
  currency: Type.String({ examples: ['usd'] }),
  payment_intent: PaymentIntentId,
  reason: Type.Union([Type.String(), Type.Null()]),
  failure_reason: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
});
