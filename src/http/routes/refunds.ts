import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AppServices } from '../../app-services.js';
import { requestKeyOf } from '../plugins/idempotency.js';
import { presentRefund, presentRefundDetails } from '../presenters.js';
import { Envelope, errorResponses, PROCESSOR_ERRORS } from '../schemas/common.js';
import { CreateRefundBody, ListRefundsQuery, RefundData, RefundDetails } from '../schemas/refunds.js';

export const refundRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  app.post(
    '/payment/refund',
    {
      config: { access: 'refund' },
      schema: {
        tags: ['refunds'],
        operationId: 'createRefund',
        summary: 'Refund all or part of a payment',
        description:
          'Names the payment by `paymentIntentId`, or by `orderId` (the Order Service refunds a cancelled order with `{orderId}` alone: ' +
          'that refunds what is left, once; calling again answers the same refund; an order without a payment is 404 `order_not_found`). ' +
          'Without `amount`, refunds everything left. Several partial refunds are allowed; together they never exceed what was ' +
          'charged (400 `refund_exceeds_amount`). Only a succeeded payment can be refunded (409 `invalid_state`).\n\n' +
          'Every refund but the Order Service\'s `{orderId}` form (no `amount`) needs an `Idempotency-Key` header: a new key per ' +
          'refund, the same key when retrying it (a retry is answered the first answer, never refunded twice). Without one it is ' +
          '400 `idempotency_key_required` and nothing is refunded.',
        body: CreateRefundBody,
        response: {
          200: Envelope(RefundData),
          ...errorResponses('idempotency_key_required', 'invalid_amount', 'refund_exceeds_amount', 'payment_intent_not_found', 'order_not_found', 'invalid_state', ...PROCESSOR_ERRORS),
        },
      },
    },
    async (request) => {
      const { refund, payment } = await services.refunds.create(request.body, { requestKey: requestKeyOf(request) });
      return { success: true as const, data: presentRefund(refund, payment.processorPaymentIntentId!) };
    },
  );

  app.get(
    '/payment/refunds',
    {
      config: { access: { rule: 'read', owner: { paymentIntentId: 'query.paymentIntentId' } } },
      schema: {
        tags: ['refunds'],
        operationId: 'listRefunds',
        summary: 'A payment\'s refunds, newest first',
        querystring: ListRefundsQuery,
        response: { 200: Envelope(Type.Array(RefundDetails)), ...errorResponses('payment_intent_not_found') },
      },
    },
    async (request) => {
      const { payment, refunds } = await services.refunds.list(request.query.paymentIntentId);
      return { success: true as const, data: refunds.map((refund) => presentRefundDetails(refund, payment.processorPaymentIntentId!)) };
    },
  );
};
