import { Type, type TSchema } from '@sinclair/typebox';
import { ERROR_STATUS, type ErrorCode } from '../../errors.js';
import { ERROR_EXAMPLES, type ErrorExample } from './error-examples.js';

/** `{success: true, data}`: every successful answer. */
export function Envelope<T extends TSchema>(data: T) {
  return Type.Object({ success: Type.Literal(true), data });
}

/** `{success: true, message, data}`: for the calls whose callers show a message (`message` as this route says it). */
export function EnvelopeWithMessage<T extends TSchema>(data: T, message: string) {
  return Type.Object({ success: Type.Literal(true), message: Type.String({ description: 'What happened, in words.', examples: [message] }), data });
}

/** The fields of every error answer: `{success: false, message, code}`, with extra fields some errors add. */
const errorFields = {
  success: Type.Literal(false),
  message: Type.String({ description: 'What went wrong and what to change.' }),
  param: Type.Optional(Type.String({ description: 'The request field at fault.' })),
  decline_code: Type.Optional(Type.String({ description: 'Why the card was declined (card_declined only).' })),
  payment_intent_id: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'The payment concerned (card_declined, order_already_paid, processor_unavailable).' })),
  refund_id: Type.Optional(Type.String({ description: 'The refund whose outcome is not known yet (processor_unavailable).' })),
  status: Type.Optional(Type.String({ description: 'Current status of the payment (invalid_state, order_already_paid).' })),
  suggested_amount: Type.Optional(Type.Integer({ description: 'The amount in minor units a decimal amount most likely meant.' })),
  valid_amounts: Type.Optional(
    Type.Array(Type.Integer(), { description: 'The nearest amounts the processor accepts, for an amount off its currency\'s step (ISK, three-decimal currencies).' }),
  ),
  amount_remaining: Type.Optional(Type.Integer({ description: 'What is left to refund, in minor units.' })),
  minimum_amount: Type.Optional(Type.Integer({ description: 'The smallest amount the processor charges, in minor units.' })),
  retry_after_seconds: Type.Optional(Type.Integer({ description: 'When to try again (rate_limited), as in the Retry-After header.' })),
};

/**
 * Codes any operation may answer, whatever it does: a request refused before its route's own rules
 * run (a NUL character or card data anywhere), and a fault of the service. Every documented route gets them.
 */
export const OPERATION_ERRORS: readonly ErrorCode[] = ['validation_failed', 'card_data_not_allowed', 'internal_error'];

/** Codes of a route whose method carries a body (POST, PUT, PATCH, DELETE), answered before the route's own rules run. */
export const BODY_ERRORS: readonly ErrorCode[] = ['malformed_json', 'payload_too_large', 'unsupported_media_type'];

/** Codes of a route that calls the payment processor: it refused the request, our key, or did not answer. */
export const PROCESSOR_ERRORS: readonly ErrorCode[] = ['processor_invalid_request', 'processor_misconfigured', 'processor_unavailable'];

const byStatus = (codes: readonly ErrorCode[]) => {
  const groups = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) groups.set(ERROR_STATUS[code], [...(groups.get(ERROR_STATUS[code]) ?? []), code]);
  return groups;
};

/** The error answer of one status: `code` is one of `codes`, and each has its example. */
function errorResponse(codes: ErrorCode[]): TSchema {
  const sorted = [...codes].sort();
  return Type.Object(
    { ...errorFields, code: Type.Unsafe<ErrorCode>({ type: 'string', enum: sorted, description: 'Machine-readable error code.' }) },
    {
      additionalProperties: true,
      description: `Error: ${sorted.join(', ')}`,
      // Named examples, one a code; the API document shows them beside the schema.
      'x-examples': Object.fromEntries(
        sorted.map((code) => {
          const example: ErrorExample = ERROR_EXAMPLES[code];
          return [code, { summary: example.summary, value: { success: false, message: example.message, code, ...example.fields } }];
        }),
      ),
    },
  );
}

/** The codes an error answer documents, or null when the schema is not one `errorResponses` made. */
export function documentedErrorCodes(schema: unknown): ErrorCode[] | null {
  const code = (schema as { properties?: { code?: { enum?: unknown } } } | undefined)?.properties?.code;
  return Array.isArray(code?.enum) ? (code.enum as ErrorCode[]) : null;
}

/** OpenAPI responses for the errors a route can answer (and `OPERATION_ERRORS`), grouped by HTTP status. */
export function errorResponses(...codes: ErrorCode[]): Record<number, TSchema> {
  return withErrorResponses({}, ...codes);
}

/**
 * `response` with the error answers of `codes` (and `OPERATION_ERRORS`) added: a status that
 * already documents errors gets the union of both lists, a status with another answer is kept.
 * Plugins that add answers to every route they guard (authentication, idempotency) go through it.
 */
export function withErrorResponses(response: Record<string, unknown> | undefined, ...codes: ErrorCode[]): Record<number, TSchema> {
  const merged: Record<string, unknown> = { ...response };
  for (const [status, list] of byStatus([...codes, ...OPERATION_ERRORS])) {
    const existing = merged[status];
    const known = existing === undefined ? [] : documentedErrorCodes(existing);
    if (known !== null) merged[status] = errorResponse([...new Set([...known, ...list])]);
  }
  return merged as Record<number, TSchema>;
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
