import { Type, type Static } from '@sinclair/typebox';
import { Currency } from './common.js';
import { Email } from './customers.js';
import { OutboxEntryData } from './outbox.js';
import { PAYMENT_STATUS_VALUES, PaymentIntentDetails } from './payments.js';
import { RefundDetails } from './refunds.js';

const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const Uuid = Type.String({ pattern: UUID_PATTERN, description: 'The service\'s own id of the payment.', examples: ['0b7e3f1c-2a44-4c55-9d7b-3f0b1a2c4d5e'] });
const DateTime = Type.String({ format: 'date-time', examples: ['2026-01-31T12:00:00.000Z'] });

export const AdminPaymentsQuery = Type.Object({
  status: Type.Optional(Type.Union(PAYMENT_STATUS_VALUES.map((s) => Type.Literal(s)), { description: 'Only payments in this status.' })),
  orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Only this order\'s payments.' })),
  email: Type.Optional({ ...Email, description: 'Only the payments of the customer with this email (none when no customer has it).' }),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after this instant.' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Created before this instant.' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size.' }),
  cursor: Type.Optional(Type.String({ pattern: UUID_PATTERN, description: 'next_cursor of the previous page.' })),
});
export type AdminPaymentsQuery = Static<typeof AdminPaymentsQuery>;

/** A payment as the operators list it: the details clients see, our own id and the customer's email. */
export const AdminPaymentData = Type.Object({
  ...PaymentIntentDetails.properties,
  id: Uuid,
  customer_email: Type.Union([Type.String(), Type.Null()], { examples: ['customer@example.com'] }),
});

export const AdminPaymentPage = Type.Object({
  success: Type.Literal(true),
  data: Type.Array(AdminPaymentData),
  has_more: Type.Boolean(),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
});

export const AdminPaymentParams = Type.Object({
  id: Type.String({ pattern: '^(pi_[A-Za-z0-9_]{1,250}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$', description: 'The payment intent id (pi_...) or the service\'s own id.', examples: ['pi_1234567890'] }),
});

export const AdminRefundParams = Type.Object({
  id: Type.String({ pattern: '^(re_[A-Za-z0-9_]{1,250}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$', description: 'The service\'s own id of the refund (as Needs attention lists it) or the processor\'s (re_...).', examples: ['0b7e3f1c-2a44-4c55-9d7b-3f0b1a2c4d5e'] }),
});

/** A refund as the operators see it: the details clients see, with the service's own ids of it and its payment. */
export const AdminRefundData = Type.Object({
  ...RefundDetails.properties,
  id: { ...Uuid, description: 'The service\'s own id of the refund.' },
  payment_id: Uuid,
});

export const PaymentDossierData = Type.Object({
  payment: AdminPaymentData,
  customer: Type.Union([Type.Object({ customer_id: Type.String({ examples: ['cus_1234567890'] }), email: Type.String({ examples: ['customer@example.com'] }), name: Type.Union([Type.String(), Type.Null()], { examples: ['John Doe'] }) }), Type.Null()]),
  card: Type.Union([
    Type.Object({ brand: Type.String({ examples: ['visa'] }), last4: Type.String({ examples: ['4242'] }), exp_month: Type.Union([Type.Integer(), Type.Null()], { examples: [12] }), exp_year: Type.Union([Type.Integer(), Type.Null()], { examples: [2034] }) }),
    Type.Null(),
  ], { description: 'The saved card charged; null for a browser-confirmed payment or a card deleted since.' }),
  timeline: Type.Array(Type.Object({
    from_status: Type.Union([Type.String(), Type.Null()], { examples: [null] }),
    to_status: Type.String({ examples: ['succeeded'] }),
    source: Type.String({ description: 'Who moved it: api, webhook, reconciler, give_up...', examples: ['api'] }),
    at: DateTime,
  }), { description: 'The payment\'s status changes, oldest first.' }),
  refunds: Type.Array(RefundDetails),
  notifications: Type.Array(OutboxEntryData, { description: 'What the Order Service is (or was) told of this payment, oldest first.' }),
});

export const ProcessorViewData = Type.Object({
  processor: Type.String({ examples: ['simulated'] }),
  payment_intent_id: Type.String({ examples: ['pi_1234567890'] }),
  status: Type.String({ examples: ['succeeded'] }),
  amount: Type.Integer({ examples: [2500] }),
  currency: Type.String({ examples: ['usd'] }),
  amount_received: Type.Integer({ examples: [2500] }),
  amount_capturable: Type.Integer({ examples: [0] }),
  capture_method: Type.String({ examples: ['automatic'] }),
  last_payment_error: Type.Union([Type.Object({ code: Type.String(), decline_code: Type.Union([Type.String(), Type.Null()]), message: Type.String() }), Type.Null()], { examples: [null] }),
  capture_before: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { examples: [null] }),
});

export const AttentionQuery = Type.Object({
  stale: Type.String({ pattern: '^\\d+(s|m|h|d)$', default: '10m', description: 'Left untouched this long after the reconciler tried (a number with s, m, h or d).', examples: ['10m'] }),
});

export const AttentionData = Type.Object({
  items: Type.Array(Type.Object({
    kind: Type.Union([Type.Literal('payment'), Type.Literal('refund')]),
    id: Type.String({ description: 'The payment\'s or the refund\'s own id.', examples: ['0b7e3f1c-2a44-4c55-9d7b-3f0b1a2c4d5e'] }),
    payment_id: Uuid,
    payment_intent_id: Type.Union([Type.String(), Type.Null()], { examples: ['pi_1234567890'] }),
    status: Type.String({ examples: ['unknown'] }),
    amount: Type.Integer({ examples: [2500] }),
    currency: Type.String({ examples: ['usd'] }),
    reason: Type.String({ examples: ['outcome unknown'] }),
    updated_at: DateTime,
  }), { description: 'Payments and refunds the reconciler tried and could not settle, oldest first (at most 100).' }),
  dead_notifications: Type.Integer({ minimum: 0, examples: [0], description: 'Outbox entries given up on (GET /payment/admin/outbox?status=dead).' }),
});

const Totals = Type.Object({
  since: Type.String({ format: 'date-time', examples: ['2026-01-31T00:00:00.000Z'] }),
  payments: Type.Integer({ minimum: 0, examples: [5] }),
  succeeded: Type.Integer({ minimum: 0, examples: [3], description: 'Authorized or charged.' }),
  declined: Type.Integer({ minimum: 0, examples: [2] }),
  success_rate: Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], { examples: [0.6], description: 'succeeded / (succeeded + declined); null with neither.' }),
  volume: Type.Array(Type.Object({ currency: Currency, amount: Type.Integer({ description: 'Minor units charged.', examples: [3500] }) })),
  refunds: Type.Array(Type.Object({ currency: Currency, amount: Type.Integer({ description: 'Minor units refunded (succeeded and pending).', examples: [700] }), count: Type.Integer({ examples: [1] }) })),
  decline_codes: Type.Array(Type.Object({ code: Type.String({ examples: ['insufficient_funds'] }), count: Type.Integer({ examples: [1] }) })),
});

export const SummaryData = Type.Object({
  today: Totals,
  last_7_days: Totals,
  per_day: Type.Array(Type.Object({ day: Type.String({ examples: ['2026-01-31'] }), succeeded: Type.Integer({ examples: [3] }), declined: Type.Integer({ examples: [2] }) }), {
    description: 'The last 7 days (UTC), oldest first, every day present.',
  }),
});
