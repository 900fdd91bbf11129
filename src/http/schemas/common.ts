import { Type, type TSchema } from '@sinclair/typebox';
import { ERROR_STATUS, type ErrorCode } from '../../errors.js';

/** `{success: true, data}`: every successful answer. */
export function Envelope<T extends TSchema>(data: T) {
  return Type.Object({ success: Type.Literal(true), data });
}

/** `{success: true, message, data}`: for the calls whose callers show a message. */
export function EnvelopeWithMessage<T extends TSchema>(data: T) {
  return Type.Object({ success: Type.Literal(true), message: Type.String({ description: 'What happened, in words.' }), data });
}

/** `{success: false, message, code}`: every error, with extra fields some errors add. */
export const ErrorResponse = Type.Object(
  {
    success: Type.Literal(false),
    message: Type.String({ description: 'What went wrong and what to change.' }),
    code: Type.String({ description: 'Machine-readable error code.', examples: ['validation_failed'] }),
    param: Type.Optional(Type.String({ description: 'The request field at fault.' })),
    decline_code: Type.Optional(Type.String({ description: 'Why the card was declined (card_declined only).' })),
    payment_intent_id: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    refund_id: Type.Optional(Type.String({ description: 'The refund whose outcome is not known yet (processor_unavailable).' })),
    status: Type.Optional(Type.String({ description: 'Current status of the payment (invalid_state, order_already_paid).' })),
    suggested_amount: Type.Optional(Type.Integer({ description: 'The amount in minor units a decimal amount most likely meant.' })),
    amount_remaining: Type.Optional(Type.Integer({ description: 'What is left to refund, in minor units.' })),
    minimum_amount: Type.Optional(Type.Integer()),
    retry_after_seconds: Type.Optional(Type.Integer({ description: 'When to try again (rate_limited), as in the Retry-After header.' })),
  },
  { additionalProperties: true },
);

/** OpenAPI responses for the errors a route can answer, grouped by HTTP status; any request may be refused for card data. */
export function errorResponses(...codes: ErrorCode[]): Record<number, TSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of [...codes, 'validation_failed', 'card_data_not_allowed', 'internal_error'] as ErrorCode[]) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [status, { ...ErrorResponse, description: `Error: ${list.join(', ')}` }]),
  );
}

export const CustomerId = Type.String({
  pattern: '^cus_[A-Za-z0-9]+$',
  maxLength: 255,
  description: 'The customer id the service answered (cus_...).',
  examples: ['cus_1234567890'],
});

export const PaymentMethodId = Type.String({
  pattern: '^pm_[A-Za-z0-9_]+$',
  maxLength: 255,
  description: 'A payment method token from Stripe.js (pm_...), or one of Stripe\'s test ids such as pm_card_visa.',
  examples: ['pm_1234567890'],
});

export const PaymentIntentId = Type.String({
  minLength: 1,
  maxLength: 255,
  description: 'The payment intent id (pi_...).',
  examples: ['pi_1234567890'],
});

export const Currency = Type.String({
  pattern: '^[A-Za-z]{3}$',
  description: 'Three-letter ISO 4217 code; lower-cased by the service. Default usd.',
  examples: ['usd'],
});

export const Amount = Type.Integer({
  minimum: 1,
  maximum: 99_999_999,
  description: 'Integer amount in minor units: 2500 is $25.00; 500 JPY is 500.',
  examples: [2500],
});
