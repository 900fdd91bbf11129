import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../../app-services.js';
import { parseDuration } from '../../config-notifications.js';
import { Type } from '@sinclair/typebox';
import { Envelope, errorResponses, PROCESSOR_ERRORS } from '../schemas/common.js';
import { AwaitedAuthorizationData, DeliveryEventBody, DeliveryEventData, ExpiringQuery } from '../schemas/delivery.js';

/** Delivery events from the platform, and the operators' view of the authorizations waiting for theirs. */
export const deliveryEventRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  app.post(
    '/payment/delivery-events',
    {
      config: { access: 'delivery-event' },
      schema: {
        tags: ['deliveries'],
        operationId: 'recordDeliveryEvent',
        summary: 'Report an order\'s delivery status',
        description:
          'For a payment made with captureMethod manual and captureOn delivery: `DELIVERED` captures its authorization, `CANCELLED` releases it ' +
          '(the Order Service hears of either through the usual notifications); the other statuses are recorded and change nothing. The same ' +
          'event twice is harmless (`duplicate: true`). An order without such a payment is 404 `order_not_found`.',
        body: DeliveryEventBody,
        response: {
          200: Envelope(DeliveryEventData),
          ...errorResponses('order_not_found', 'payment_intent_not_found', 'invalid_state', 'dependency_unavailable', ...PROCESSOR_ERRORS),
        },
      },
    },
    async (request) => {
      const { event, duplicate, action, payment } = await services.deliveries.recordEvent(request.body, request.bearerToken);
      return {
        success: true as const,
        data: {
          orderId: event.orderId,
          status: event.status,
          action,
          duplicate,
          payment_intent_id: payment.processorPaymentIntentId,
          payment_status: payment.status,
        },
      };
    },
  );

  app.get(
    '/payment/admin/authorizations',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['deliveries'],
        operationId: 'listAwaitedAuthorizations',
        summary: 'Authorizations waiting for their delivery, lapsing soon',
        description:
          'Payments captured on delivery still authorized, without a DELIVERED event, whose capture_before falls within `expiring` ' +
          '(default 24h) or has passed, soonest first (at most 100). The watchdog logs these and cancels them at expiry. Admin role only.',
        querystring: ExpiringQuery,
        response: { 200: Envelope(Type.Array(AwaitedAuthorizationData)), ...errorResponses() },
      },
    },
    async (request) => {
      const list = await services.deliveries.expiring(parseDuration(request.query.expiring));
      return {
        success: true as const,
        data: list.map((a) => ({
          payment_intent_id: a.processorPaymentIntentId,
          order_id: a.orderId,
          amount: a.amount,
          currency: a.currency,
          capture_before: a.captureBefore?.toISOString() ?? null,
          created_at: a.createdAt.toISOString(),
        })),
      };
    },
  );
};
