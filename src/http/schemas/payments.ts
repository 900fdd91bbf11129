import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Amount, Currency, CustomerId, PaymentIntentId, PaymentMethodId } from './common.js';
import { PaymentDeliveryData, PaymentQuoteData, QuoteId } from './delivery.js';

/** A schema for use inside a union: OpenAPI 3.0 allows examples on the union, not on its members. */
function withoutExamples<T extends TSchema>(schema: T): T {
  const { examples: _examples, ...rest } = schema;
  return rest as T;
}

export const PAYMENT_STATUS_VALUES = [
  'unknown', 'requires_payment_method', 'requires_confirmation', 'requires_action', 'processing', 'requires_capture',
  'succeeded', 'canceled',
] as const;

const Status = Type.Union(PAYMENT_STATUS_VALUES.map((s) => Type.Literal(s)), {
  description: 'Stripe\'s payment intent status; unknown while the processor\'s answer is awaited.',
  examples: ['succeeded'],
});

const CaptureMethod = Type.Union([Type.Literal('automatic'), Type.Literal('manual')], {
  description: 'manual: authorize now, capture later.',
  examples: ['automatic'],
});

export const CreatePaymentIntentBody = Type.Object({
  amount: Amount,
  customerId: Type.Optional(
    Type.Union([withoutExamples(CustomerId), Type.Literal('')], {
      description:
        'The customer who pays. Empty or absent (the web app sends "" when it could not look the customer up): the customer ' +
        'the saved paymentMethodId belongs to; without paymentMethodId, the customer of the user token. Otherwise 400 naming customerId.',
      examples: ['cus_1234567890'],
    }),
  ),
  paymentMethodId: Type.Optional({
    ...PaymentMethodId,
    description:
      'The card to charge (a token from Stripe.js). Absent: Stripe\'s browser-confirmed flow, the intent is created in ' +
      'requires_payment_method and its clientSecret answered, for Stripe.js confirmCardPayment.',
  }),
  orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'The order paid for; an order is charged at most once.', examples: ['order_1234567890'] })),
  currency: Type.Optional(Currency),
  returnUrl: Type.Optional(Type.String({ format: 'uri', maxLength: 2048, description: 'Where 3-D Secure sends the customer back.', examples: ['https://example.com/checkout/complete'] })),
  description: Type.Optional(Type.String({ maxLength: 1000 })),
  captureMethod: Type.Optional({ ...CaptureMethod, default: 'automatic' }),
  quoteId: Type.Optional({
    ...QuoteId,
    description: 'The delivery fee quote paid (POST /payment/delivery-fee): amount must be its total (400 amount_mismatch), it must not have expired (409 quote_expired) and it pays one order (409 quote_used). Needs orderId.',
  }),
  captureOn: Type.Optional(
    Type.Literal('delivery', {
      description: 'With captureMethod manual: the card is authorized now and captured when the order\'s DELIVERED event arrives (POST /payment/delivery-events); CANCELLED releases it.',
    }),
  ),
  automatic_payment_methods: Type.Optional(
    Type.Object(
      { enabled: Type.Boolean(), allow_redirects: Type.Optional(Type.Union([Type.Literal('always'), Type.Literal('never')])) },
      { description: 'Accepted for the web app\'s sake; the service always asks for cards without redirects unless returnUrl is given.' },
    ),
  ),
});
export type CreatePaymentIntentBody = Static<typeof CreatePaymentIntentBody>;

export const PaymentIntentParams = Type.Object({ id: PaymentIntentId });
export type PaymentIntentParams = Static<typeof PaymentIntentParams>;

/**
 * The answer to a payment intent creation: the document's four fields, what 3-D Secure, the browser's
 * confirmation or capture needs, and the camelCase names the web app reads (`paymentIntentId`, `clientSecret`).
 */
export const PaymentIntentData = Type.Object({
  payment_intent_id: PaymentIntentId,
  paymentIntentId: { ...PaymentIntentId, description: 'The same as payment_intent_id, under the name the CommuneDrop web app reads.' },
  status: Status,
  amount: Amount,
  currency: Type.String({ examples: ['usd'] }),
  client_secret: Type.Optional(
    Type.String({ description: 'For Stripe.js: to finish 3-D Secure (requires_action), or to confirm a browser-confirmed payment (requires_payment_method).' }),
  ),
  clientSecret: Type.Optional(Type.String({ description: 'The same as client_secret, under the name the CommuneDrop web app reads.' })),
  next_action: Type.Optional(Type.Object({}, { additionalProperties: true, description: 'What the client must do next (requires_action only).' })),
  capture_before: Type.Optional(Type.String({ format: 'date-time', description: 'When an authorization lapses (requires_capture only).' })),
});

export const PaymentIntentDetails = Type.Object({
  payment_intent_id: Type.Union([PaymentIntentId, Type.Null()]),
  status: Status,
  amount: Amount,
  currency: Type.String({ examples: ['usd'] }),
  amount_received: Type.Integer({ description: 'Minor units charged.', examples: [2500] }),
  amount_capturable: Type.Integer({ description: 'Minor units authorized and not yet captured.', examples: [0] }),
  amount_refunded: Type.Integer({ description: 'Minor units refunded (succeeded and pending refunds).', examples: [1000] }),
  capture_method: CaptureMethod,
  customer_id: Type.Union([CustomerId, Type.Null()]),
  payment_method_id: Type.Union([withoutExamples(PaymentMethodId), Type.Null()], {
    description: 'The card charged; null for a browser-confirmed payment (Stripe.js confirms it with the customer\'s card).',
    examples: ['pm_1234567890'],
  }),
  order_id: Type.Union([Type.String(), Type.Null()], { examples: ['order_1234567890'] }),
  last_payment_error: Type.Union([
    Type.Object({ code: Type.Union([Type.String(), Type.Null()]), decline_code: Type.Union([Type.String(), Type.Null()]), message: Type.Union([Type.String(), Type.Null()]) }),
    Type.Null(),
  ]),
  next_action: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  capture_before: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
    description: 'When an authorization lapses (requires_capture only).',
    examples: [null],
  }),
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
  delivery: Type.Optional(PaymentDeliveryData),
  quote: Type.Optional(PaymentQuoteData),
});

export const CapturePaymentIntentBody = Type.Object({
  amount: Type.Optional({ ...Amount, description: 'Minor units to capture, at most what was authorized; default: all of it.' }),
});
export type CapturePaymentIntentBody = Static<typeof CapturePaymentIntentBody>;

export const ListPaymentsQuery = Type.Object({
  orderId: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Only this order\'s payments.' })),
  customerId: Type.Optional({ ...CustomerId, description: 'Only this customer\'s payments.' }),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size.' }),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'next_cursor of the previous page.' })),
});
export type ListPaymentsQuery = Static<typeof ListPaymentsQuery>;
