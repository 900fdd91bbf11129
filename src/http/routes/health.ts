import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import type { Database } from '../../store/database.js';
import { sendError } from '../plugins/error-handler.js';
import { Envelope, errorResponses } from '../schemas/common.js';

const Alive = Envelope(Type.Object({ status: Type.String({ examples: ['ok'] }) }));
const Ready = Envelope(Type.Object({ status: Type.String({ examples: ['ready'] }) }));

/** Liveness (the process answers) and readiness (the database answers), at the root and under /payment; open to all, as probes carry no token. */
export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Database }> = async (app, { db }) => {
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
          summary: 'Ready: the database answers',
          response: { 200: Ready, ...errorResponses('service_unavailable') },
        },
      },
      async (request, reply) => {
        try {
          await db.query('SELECT 1');
          return { success: true as const, data: { status: 'ready' } };
        } catch (error) {
          request.log.warn({ err: error }, 'readiness check failed');
          return sendError(reply, new AppError('service_unavailable', 'The database does not answer'));
        }
      },
    );
  }
};
