import type { FastifyInstance, RouteOptions } from 'fastify';
import type { ErrorCode } from '../../errors.js';
import { withErrorResponses } from '../schemas/common.js';

/**
 * What the perimeter's router and rate limits may answer on a route, before its handler. The
 * body's own errors, authentication's and an Idempotency-Key's are added by their own plugins.
 */
export function perimeterCodes(route: Pick<RouteOptions, 'url' | 'config'>, rateLimited: boolean): ErrorCode[] {
  const codes: ErrorCode[] = [];
  if (route.url.includes(':')) codes.push('uri_too_long');
  if (rateLimited && route.config?.rateLimit !== false) codes.push('rate_limited');
  return codes;
}

/**
 * Adds to every route's OpenAPI responses the codes the perimeter answers (414, 429), so that the
 * document lists every status a route can answer;
 * a status the route documents already gets these codes beside its own.
 */
export function documentPerimeterAnswers(app: FastifyInstance, options: { rateLimited: boolean }): void {
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD' || route.schema?.hide) return;
    const schema = route.schema ?? {};
    route.schema = {
      ...schema,
      response: withErrorResponses(schema.response as Record<string, unknown> | undefined, ...perimeterCodes(route, options.rateLimited)),
    };
  });
}
