import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditLogRepository } from '../../store/audit-log-repository.js';
import { errorResponses } from '../schemas/common.js';
import { AuditPage, ListAuditQuery } from '../schemas/audit.js';
import { pageOf } from '../paging.js';

/** The audit log, for the people who answer "who did this". */
export const adminAuditRoutes: FastifyPluginAsyncTypebox<{ auditLog: AuditLogRepository }> = async (app, { auditLog }) => {
  app.get(
    '/payment/admin/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        operationId: 'listAuditLog',
        summary: 'Who changed money or cards, newest first',
        description: 'One entry per change the API made (customers, cards, payments, captures, cancels, refunds, outbox retries), with the caller, the request id, the ids and the amount. Admin role only.',
        querystring: ListAuditQuery,
        response: { 200: AuditPage, ...errorResponses() },
      },
    },
    async (request) => {
      const { action, limit, cursor } = request.query;
      const { page, ...paging } = pageOf(await auditLog.list({ action }, limit + 1, cursor ?? null), limit, (entry) => entry.id);
      return {
        success: true as const,
        data: page.map((entry) => ({
          id: entry.id,
          at: entry.at.toISOString(),
          request_id: entry.requestId,
          actor_kind: entry.actorKind,
          actor: entry.actor,
          actor_admin: entry.actorAdmin,
          action: entry.action,
          status: entry.status,
          target: entry.target,
          amount: entry.amount,
          currency: entry.currency,
        })),
        ...paging,
      };
    },
  );
};
