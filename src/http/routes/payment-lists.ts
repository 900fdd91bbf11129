import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AppServices } from '../../app-services.js';
import { AppError } from '../../errors.js';
import type { ListCursor } from '../../store/payments-repository.js';
import { presentPaymentDetails } from '../presenters.js';
import { errorResponses } from '../schemas/common.js';
import { ListPaymentsQuery, PaymentIntentDetails } from '../schemas/payments.js';
import { pageOf } from '../paging.js';

const PaymentPage = Type.Object({
  success: Type.Literal(true),
  data: Type.Array(PaymentIntentDetails),
  has_more: Type.Boolean(),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null on the last page.' }),
});

/** Cursors are opaque to clients: the last row of a page. */
function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(cursor.id).toString('base64url');
}

function decodeCursor(text: string): ListCursor {
  const id = Buffer.from(text, 'base64url').toString('utf8');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)) {
    throw new AppError('validation_failed', 'cursor must be a next_cursor this service answered', { param: 'cursor' });
  }
  return { id };
}

export const paymentListRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  app.get(
    '/payment/payments',
    {
      // A customer lists only its own payments, so it must name itself; services and admins list any.
      config: { access: { rule: 'read', owner: { customerId: 'query.customerId' } } },
      schema: {
        tags: ['payments'],
        operationId: 'listPayments',
        summary: 'List payments, newest first',
        description: 'Filter by `orderId` and/or `customerId`; page with `limit` and the `next_cursor` of the previous page.',
        querystring: ListPaymentsQuery,
        response: { 200: PaymentPage, ...errorResponses('customer_not_found') },
      },
    },
    async (request) => {
      const { orderId, customerId, limit, cursor } = request.query;
      const customer = customerId ? await services.customers.getByCustomerId(customerId) : null;
      const rows = await services.payments.list(
        { orderId, customerId: customer?.id },
        limit + 1,
        cursor ? decodeCursor(cursor) : null,
      );
      const { page, ...paging } = pageOf(rows, limit, (last) => encodeCursor({ id: last.id }));
      return { success: true as const, data: page.map(presentPaymentDetails), ...paging };
    },
  );
};
