import { Type, type Static } from '@sinclair/typebox';

export const AuditEntryData = Type.Object({
  id: Type.String({ examples: ['1042'] }),
  at: Type.String({ format: 'date-time', examples: ['2026-12-03T18:00:00.000Z'] }),
  request_id: Type.String({ description: 'The X-Request-Id of the request that made the change.', examples: ['5d0c3f4e-8a52-4d0e-9c1b-2f6a7e9d1c33'] }),
  actor_kind: Type.Union([Type.Literal('user'), Type.Literal('service')], { description: 'user: a user token; service: a client-credentials token.', examples: ['service'] }),
  actor: Type.Union([Type.String(), Type.Null()], { description: 'The token\'s subject (or email), or the service\'s client id.', examples: ['microservice_order_client'] }),
  actor_admin: Type.Boolean({ description: 'The token held the admin role.', examples: [false] }),
  action: Type.String({ description: 'customer.create, card.save, card.set_default, card.delete, payment.create, payment.capture, payment.cancel, refund.create, outbox.retry.', examples: ['refund.create'] }),
  status: Type.Integer({ description: 'The HTTP status the change was answered with.', examples: [200] }),
  target: Type.Record(Type.String(), Type.String(), { description: 'The ids it touched.', examples: [{ payment_intent_id: 'pi_1234567890', refund_id: 're_1234567890' }] }),
  amount: Type.Union([Type.Integer(), Type.Null()], { description: 'Minor units, for payments and refunds.', examples: [2500] }),
  currency: Type.Union([Type.String(), Type.Null()], { examples: ['usd'] }),
});

export const ListAuditQuery = Type.Object({
  action: Type.Optional(Type.String({ pattern: '^[a-z_]+\\.[a-z_]+$', maxLength: 50, description: 'Only this action.' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size.' }),
  cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'next_cursor of the previous page.' })),
});
export type ListAuditQuery = Static<typeof ListAuditQuery>;

export const AuditPage = Type.Object({
  success: Type.Literal(true),
  data: Type.Array(AuditEntryData),
  has_more: Type.Boolean(),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
});
