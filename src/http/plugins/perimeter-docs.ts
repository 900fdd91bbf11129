import type { FastifyInstance, RouteOptions } from 'fastify';
import type { ErrorCode } from '../../errors.js';
import { errorResponses } from '../schemas/common.js';

const BODY_METHODS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

/** What the perimeter (parser, router, limits, idempotency, authentication) may answer on a route, before or around its handler. */
export function perimeterCodes(route: Pick<RouteOptions, 'method' | 'url' | 'config'>, rateLimited: boolean): ErrorCode[] {
  const methods = new Set([route.method].flat().map((method) => String(method).toUpperCase()));
  const codes: ErrorCode[] = [];
  if ([...methods].some((method) => BODY_METHODS.has(method))) {
    codes.push('malformed_json', 'payload_too_large', 'unsupported_media_type');
  }
  if (methods.has('POST') || methods.has('DELETE')) codes.push('idempotency_error', 'idempotency_in_progress');
  if (route.url.includes(':')) codes.push('uri_too_long');
  if (rateLimited && route.config?.rateLimit !== false) codes.push('rate_limited');
  // Service tokens are checked against the Auth Service's keys, which may be unreachable.
  if (route.config?.access !== undefined && route.config.access !== 'open') codes.push('service_unavailable');
  return codes;
}

/**
 * Adds to every route's OpenAPI responses the statuses the perimeter answers (413, 414, 415, 429,
 * 400 for card data...), so that the document lists every status a route can answer. A status the
 * route documents itself keeps the route's own description.
 */
export function documentPerimeterAnswers(app: FastifyInstance, options: { rateLimited: boolean }): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema ?? {};
    route.schema = {
      ...schema,
      response: { ...errorResponses(...perimeterCodes(route, options.rateLimited)), ...(schema.response as object | undefined) },
    };
  });
}
