import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import type { Readiness } from '../../observability/readiness.js';
import type { Database } from '../../store/database.js';
import { sendError } from '../plugins/error-handler.js';
import { Envelope, errorResponses } from '../schemas/common.js';

const Alive = Envelope(Type.Object({ status: Type.String({ examples: ['ok'] }) }));
const Ready = Envelope(Type.Object({ status: Type.String({ examples: ['ready'] }) }));

/** A database that takes longer than this to answer a probe is as good as down (the probe's own timeout is longer). */
const READY_CHECK_TIMEOUT_MS = 2000;

const NOT_READY = {
  starting: 'Not ready: the service is starting (migrations, boot reconciliation)',
  stopping: 'Not ready: the service is shutting down',
} as const;

/**
 * Liveness (the process answers) and readiness (started, not stopping, and the database and its
 * schema answer), at the root and under /payment; open to all, as probes carry no token.
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Database; readiness: Readiness }> = async (app, { db, readiness }) => {
  // Probes come every few seconds from the orchestrator, which must never be rate limited into restarting us.
  const open = { access: 'open', rateLimit: false } as const;
  // The same probes at the root (for the cluster) and under /payment (for the gateway), each its own operation.
  for (const [prefix, name] of [['', ''], ['/payment', 'Payment']] as const) {
    app.get(
      `${prefix}/health`,
      { config: open, schema: { tags: ['health'], operationId: `get${name}Health`, summary: 'Alive', response: { 200: Alive } } },
      async () => ({ success: true as const, data: { status: 'ok' } }),
    );
    app.get(
      `${prefix}/ready`,
      {
        config: open,
        schema: {
          tags: ['health'],
          operationId: `get${name}Readiness`,
          summary: 'Ready: started, not shutting down, and the database answers',
          response: { 200: Ready, ...errorResponses('service_unavailable') },
        },
      },
      async (request, reply) => {
        const phase = readiness.phase;
        if (phase !== 'serving') return sendError(reply, new AppError('service_unavailable', NOT_READY[phase]));
        let timer: NodeJS.Timeout | undefined;
        try {
          // The service's own table, not SELECT 1: a schema dropped under a live server is not ready either.
          await Promise.race([
            db.query('SELECT 1 FROM schema_migrations LIMIT 1'),
            new Promise((_resolve, reject) => {
              timer = setTimeout(() => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)), READY_CHECK_TIMEOUT_MS);
            }),
          ]);
          return { success: true as const, data: { status: 'ready' } };
        } catch (error) {
          request.log.warn({ err: error }, 'readiness check failed');
          return sendError(reply, new AppError('service_unavailable', 'Not ready: the database does not answer (or its schema is missing)'));
        } finally {
          clearTimeout(timer);
        }
      },
    );
  }
};
