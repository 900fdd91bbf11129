import { Type, type Static } from '@sinclair/typebox';

export const OutboxEntryData = Type.Object({
  id: Type.String({ description: 'The entry\'s id, for the retry call.', examples: ['42'] }),
  event: Type.Union([Type.Literal('payment_succeeded'), Type.Literal('payment_failed')]),
  orderId: Type.String({ examples: ['order_1234567890'] }),
  payment_intent_id: Type.Union([Type.String(), Type.Null()], { examples: ['pi_1234567890'] }),
  payload: Type.Object(
    { orderId: Type.String(), status: Type.String() },
    { description: 'Exactly what is sent: PUT {ORDER_SERVICE_URL}/updateStatus with this body.', examples: [{ orderId: 'order_1234567890', status: 'PAYMENT RECEIVED' }] },
  ),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')]),
  attempts: Type.Integer({ minimum: 0 }),
  next_attempt_at: Type.String({ format: 'date-time' }),
  lastError: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt failed.' }),
  created_at: Type.String({ format: 'date-time' }),
  delivered_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const ListOutboxQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')], { description: 'Only entries in this status.' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size.' }),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'next_cursor of the previous page.' })),
});
export type ListOutboxQuery = Static<typeof ListOutboxQuery>;

export const OutboxEntryParams = Type.Object({
  id: Type.String({ pattern: '^[0-9]{1,19}$', description: 'The outbox entry\'s id.', examples: ['42'] }),
});

export const OutboxPage = Type.Object({
  success: Type.Literal(true),
  data: Type.Array(OutboxEntryData),
  has_more: Type.Boolean(),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
});
