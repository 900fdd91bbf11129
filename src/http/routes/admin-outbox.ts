import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../../app-services.js';
import { AppError } from '../../errors.js';
import type { OutboxEntry } from '../../store/outbox-repository.js';
import { Envelope, errorResponses } from '../schemas/common.js';
import { ListOutboxQuery, OutboxEntryData, OutboxEntryParams, OutboxPage } from '../schemas/outbox.js';
import { pageOf } from '../paging.js';

/** An outbox entry as the admin routes answer it. */
export function presentOutboxEntry(entry: OutboxEntry, paymentIntentId: string | null) {
  return {
    id: entry.id,
    event: entry.event,
    orderId: entry.orderId,
    payment_intent_id: paymentIntentId,
    payload: entry.payload,
    status: entry.status,
    attempts: entry.attempts,
    next_attempt_at: entry.nextAttemptAt.toISOString(),
    lastError: entry.lastError,
    created_at: entry.createdAt.toISOString(),
    delivered_at: entry.deliveredAt?.toISOString() ?? null,
  };
}

/** The operators' view of the notifications to the Order Service, and the repair of a dead one. */
export const adminOutboxRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  const present = async (entry: OutboxEntry) =>
    presentOutboxEntry(entry, (await services.payments.get(entry.paymentId).catch(() => null))?.processorPaymentIntentId ?? null);

  app.get(
    '/payment/admin/outbox',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        operationId: 'listOutbox',
        summary: 'Notifications to the Order Service, newest first',
        description: 'The outbox: what the Order Service is (or was) told of each payment, with attempts and the last error. Admin role only.',
        querystring: ListOutboxQuery,
        response: { 200: OutboxPage, ...errorResponses() },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const { page, ...paging } = pageOf(await services.outbox.list(status, limit + 1, cursor ?? null), limit, (entry) => entry.id);
      return { success: true as const, data: await Promise.all(page.map(present)), ...paging };
    },
  );

  app.post(
    '/payment/admin/outbox/:id/retry',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        operationId: 'retryOutboxEntry',
        summary: 'Send a dead notification again',
        description:
          'A dead entry goes back to pending with its attempts reset, and the relay sends it at once (with a service token: the ' +
          'forwarded one was erased). Only a dead entry can be retried (409 `invalid_state`). Admin role only.',
        params: OutboxEntryParams,
        response: { 200: Envelope(OutboxEntryData), ...errorResponses('outbox_entry_not_found', 'invalid_state') },
      },
    },
    async (request) => {
      const retried = await services.outbox.retryDead(request.params.id);
      if (!retried) {
        const entry = await services.outbox.findById(request.params.id);
        if (!entry) throw new AppError('outbox_entry_not_found', `No outbox entry ${request.params.id}`);
        throw new AppError('invalid_state', `Outbox entry ${entry.id} is ${entry.status}; only a dead entry can be retried`, { status: entry.status });
      }
      services.relay?.kick();
      return { success: true as const, data: await present(retried) };
    },
  );
};
