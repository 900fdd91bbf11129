import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../../app-services.js';
import { presentRefund } from '../presenters.js';
import { Envelope, errorResponses } from '../schemas/common.js';
import { CreateRefundBody, RefundData } from '../schemas/refunds.js';

export const refundRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  app.post(
    '/payment/refund',
    {
      config: { access: 'admin-or-write' },
      schema: {
        tags: ['refunds'],
        summary: 'Refund all or part of a payment',
        description:
          'Without `amount`, refunds everything left. Several partial refunds are allowed; together they never exceed what was ' +
          'charged (400 `refund_exceeds_amount`). Only a succeeded payment can be refunded (409 `invalid_state`).',
        body: CreateRefundBody,
        response: {
          200: Envelope(RefundData),
          ...errorResponses('invalid_amount', 'refund_exceeds_amount', 'payment_intent_not_found', 'invalid_state', 'processor_unavailable'),
        },
      },
    },
    async (request) => {
      const { refund, payment } = await services.refunds.create(request.body);
      return { success: true as const, data: presentRefund(refund, payment.processorPaymentIntentId!) };
    },
  );
};
