import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors.js';
import type { ServiceMetrics } from '../../observability/metrics.js';

export const METRICS_PATH = '/metrics';

/**
 * GET /metrics in Prometheus' text format, and the request duration of every other route. The
 * scrape is not timed itself (it would drown the histograms in its own calls), is never rate
 * limited, and needs `Authorization: Bearer <METRICS_TOKEN>` when that is set. It is left out of
 * the API document: it is for the platform's Prometheus, not for the service's clients.
 */
export function installMetrics(app: FastifyInstance, metrics: ServiceMetrics, token: string | null): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === METRICS_PATH) return;
    // The route's pattern, never the raw path: ids in paths would make a series per payment.
    metrics.observeRequest(request.method, route ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  const expected = token === null ? null : Buffer.from(`Bearer ${token}`);
  app.get(METRICS_PATH, { schema: { hide: true }, config: { access: 'open', rateLimit: false } }, async (request, reply) => {
    if (expected) {
      const given = Buffer.from(request.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw new AppError('unauthorized', 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>');
      }
    }
    return reply.header('content-type', metrics.contentType).header('cache-control', 'no-store').send(await metrics.text());
  });
}
