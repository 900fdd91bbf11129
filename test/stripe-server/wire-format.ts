import type { Static, TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';
import qs from 'qs';
import type { StripeLikeError } from '../../src/processors/stripe-shapes.js';

/** An answer that is an error, in Stripe's terms: the HTTP status and the body's `error` object. */
export class WireError extends Error {
  constructor(
    readonly status: number,
    readonly error: StripeLikeError & Record<string, unknown>,
  ) {
    super(error.message);
    this.name = 'WireError';
  }
}

/**
 * Stripe's form encoding: `metadata[order_id]=o1`, `automatic_payment_methods[enabled]=true`,
 * `expand[0]=customer` (the SDK's indexed arrays) or `expand[]=customer`. qs reads exactly this
 * grammar; every value arrives as a string and is typed afterwards by the endpoint's schema.
 */
export function parseForm(text: string): Record<string, unknown> {
  return qs.parse(text, { depth: 5, arrayLimit: 100, parameterLimit: 1000, allowPrototypes: false });
}

/** `/automatic_payment_methods/enabled` → `automatic_payment_methods[enabled]`, as Stripe names params. */
function paramName(path: string): string {
  const [first = '', ...rest] = path.replace(/^\//, '').split('/');
  return first + rest.map((part) => `[${part}]`).join('');
}

function invalidParam(error: ValueError): WireError {
  const param = paramName(error.path);
  const shown = typeof error.value === 'string' ? error.value : JSON.stringify(error.value);
  const answer = (message: string, code: string) =>
    new WireError(400, { type: 'invalid_request_error', code, message, param });
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return answer(`Missing required param: ${param}.`, 'parameter_missing');
    case ValueErrorType.ObjectAdditionalProperties:
      return answer(`Received unknown parameter: ${param}`, 'parameter_unknown');
    case ValueErrorType.Integer:
    case ValueErrorType.Number:
      return answer(`Invalid integer: ${shown}`, 'parameter_invalid_integer');
    case ValueErrorType.Boolean:
      return answer(`Invalid boolean: ${shown}`, 'parameter_invalid_boolean');
    default:
      return answer(`Invalid ${param}: ${shown}`, 'parameter_invalid');
  }
}

/**
 * Types the parsed parameters by the endpoint's schema, or answers the 400 Stripe gives: an
 * unknown parameter, a missing one, or one of the wrong type, named in Stripe's bracket notation.
 */
export function readParams<S extends TSchema>(schema: S, raw: Record<string, unknown>): Static<S> {
  // Convert rewrites objects in place; the request log keeps the strings as they came on the wire.
  const value = Value.Convert(schema, Value.Clone(raw));
  const first = Value.Errors(schema, value).First();
  if (first) throw invalidParam(first);
  return value as Static<S>;
}

/** Stripe answers pretty-printed JSON; the bytes are what an idempotent replay repeats. */
export function jsonBody(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export const errorBody = (error: WireError['error']) => jsonBody({ error });
