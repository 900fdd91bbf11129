import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from '../../domain/processor-errors.js';

const requestLogger = new AsyncLocalStorage<FastifyBaseLogger>();

/**
 * Runs each request inside its own context, so that what the domain logs while serving it
 * carries the request id (`reqId`) as Fastify's own lines do. Install it first.
 */
export function installRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => requestLogger.run(request.log, done));
}

/** The domain's logger: the current request's when there is one, else `base` (boot, background jobs). */
export function contextualLogger(base: Logger): Logger {
  const current = (): Logger => requestLogger.getStore() ?? base;
  return {
    info: (object, message) => current().info(object, message),
    warn: (object, message) => current().warn(object, message),
    error: (object, message) => current().error(object, message),
  };
}
