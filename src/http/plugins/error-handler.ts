import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { maskCardNumbers } from '../../domain/card-data.js';
import { assertAmount, normalizeCurrency } from '../../domain/money.js';
import { AppError, isAppError, type ErrorCode } from '../../errors.js';

/** The body of every error answer. */
export function errorBody(error: AppError) {
  return { success: false as const, message: error.message, code: error.code, ...error.details };
}

export function sendError(reply: FastifyReply, error: AppError) {
  return reply.status(error.statusCode).send(errorBody(error));
}

const FASTIFY_ERRORS: Readonly<Record<string, [ErrorCode, string]>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ['unsupported_media_type', 'Send the body as JSON with Content-Type: application/json'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: ['validation_failed', 'Content-Length does not match the body'],
  FST_ERR_CTP_BODY_TOO_LARGE: ['payload_too_large', 'The request body is larger than this service accepts'],
  FST_ERR_CTP_EMPTY_JSON_BODY: ['malformed_json', 'The body is empty but Content-Type says JSON: send a JSON object'],
  FST_ERR_CTP_INVALID_JSON_BODY: ['malformed_json', 'The body is not valid JSON'],
  FST_ERR_BAD_URL: ['validation_failed', 'The path is not valid percent-encoding (a % must be followed by two hex digits of UTF-8)'],
  FST_ERR_MAX_PARAM_LENGTH: ['uri_too_long', 'A path parameter is longer than this service accepts'],
};

function fieldName(error: ErrorObject, part: string): string {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return path ? `${path}.${missing}` : missing;
  }
  return path || part;
}

/** One sentence that names the field and what it must be. */
function describeValidationError(error: ErrorObject, part: string): string {
  const field = fieldName(error, part);
  const where = part === 'body' ? '' : ` (in the ${part === 'params' ? 'path' : part})`;
  switch (error.keyword) {
    case 'required':
      return `${field}${where} is required`;
    case 'format':
      return `${field}${where} must be a valid ${(error.params as { format: string }).format}`;
    case 'pattern': {
      const described = (error.parentSchema as { description?: string } | undefined)?.description;
      return `${field}${where} has the wrong format${described ? `: ${described}` : ` (must match ${(error.params as { pattern: string }).pattern})`}`;
    }
    case 'const':
      return `${field}${where} must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    case 'anyOf': {
      const options = ((error.schema as Array<{ const?: unknown }>) ?? []).map((s) => s.const).filter((v) => v !== undefined);
      return options.length > 0
        ? `${field}${where} must be one of ${options.map((v) => JSON.stringify(v)).join(', ')}`
        : `${field}${where} ${error.message}`;
    }
    default:
      return `${field}${where} ${error.message}`;
  }
}

/** A refused amount gets the money rules' own message (65.22 → "send 6522"). */
function amountError(request: FastifyRequest): AppError | null {
  const body = request.body as { amount?: unknown; currency?: unknown } | undefined;
  if (!body || typeof body !== 'object' || !('amount' in body)) return null;
  try {
    const currency = typeof body.currency === 'string' ? normalizeCurrency(body.currency) : 'usd';
    assertAmount(body.amount, currency);
  } catch (error) {
    if (isAppError(error)) return error;
  }
  return null;
}

export function appErrorFrom(error: FastifyError, request: FastifyRequest): AppError {
  if (isAppError(error)) return error;
  if (error.validation && error.validation.length > 0) {
    // A union's branches each report a mismatch before the union's own error; that last one speaks for the field.
    const errors = error.validation as ErrorObject[];
    const first = errors.find((e) => e.keyword === 'anyOf') ?? errors[0]!;
    const part = error.validationContext ?? 'body';
    if (part === 'body' && first.instancePath === '/amount') {
      const specific = amountError(request);
      if (specific) return specific;
    }
    return new AppError('validation_failed', describeValidationError(first, part), { param: fieldName(first, part) });
  }
  // PostgreSQL refusing a character it cannot store (a NUL byte in a header-sourced value, say): bad input.
  if (error.code === '22021' || error.code === '22P05') return new AppError('validation_failed', 'The request contains characters that cannot be stored');
  const known = error.code ? FASTIFY_ERRORS[error.code] : undefined;
  if (known) return new AppError(known[0], known[1]);
  if (error instanceof SyntaxError) return new AppError('malformed_json', 'The body is not valid JSON');
  if (error.statusCode === 400) return new AppError('validation_failed', error.message);
  if (error.statusCode === 404) return new AppError('not_found', error.message);
  if (error.statusCode === 413) return new AppError('payload_too_large', 'The request body is larger than this service accepts');
  if (error.statusCode === 414) return new AppError('uri_too_long', 'The URL is longer than this service accepts');
  if (error.statusCode === 415) return new AppError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
  if (error.statusCode === 429) return new AppError('rate_limited', 'Too many requests; slow down and retry');
  return new AppError('internal_error', 'Internal server error');
}

/**
 * Why the framework refused a request, as it may be logged: JSON.parse quotes the body it failed
 * on (which may hold a card number or a name), so a parse error is named, never quoted.
 */
function loggableReason(error: FastifyError): string {
  if (error instanceof SyntaxError) return 'the body is not valid JSON';
  return maskCardNumbers(error.message);
}

/** The one place an error becomes an answer: `{success:false, message, code}` with the code's HTTP status. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const appError = appErrorFrom(error, request);
    if (appError.statusCode >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else if (!isAppError(error)) {
      request.log.info({ code: appError.code, reason: loggableReason(error) }, 'request refused');
    }
    return sendError(reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new AppError('not_found', `No route ${request.method} ${request.url.split('?')[0]}; see /payment/api-docs`)),
  );
}
