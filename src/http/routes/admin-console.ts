import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../../app-services.js';
import { parseDuration } from '../../config-notifications.js';
import type { Payment } from '../../domain/models.js';
import { AppError, isAppError } from '../../errors.js';
import type { PaymentProcessor } from '../../processors/processor.js';
import type { ConsoleReadsRepository, WindowTotals } from '../../store/console-reads-repository.js';
import type { OutboxEntry } from '../../store/outbox-repository.js';
import { presentOutboxEntry } from './admin-outbox.js';
import { pageOf } from '../paging.js';
import { presentDelivery, presentPaymentDetails, presentRefundDetails } from '../presenters.js';
import { Envelope, errorResponses, PROCESSOR_ERRORS } from '../schemas/common.js';
import {
  AdminPaymentData, AdminPaymentPage, AdminPaymentParams, AdminPaymentsQuery, AdminRefundData, AdminRefundParams, AttentionData, AttentionQuery, PaymentDossierData, ProcessorViewData, SummaryData,
} from '../schemas/console.js';

const DAY_MS = 86_400_000;

interface ConsoleRouteDeps {
  services: AppServices;
  reads: ConsoleReadsRepository;
  processor: PaymentProcessor;
  now: () => Date;
}

function presentTotals(since: Date, totals: WindowTotals) {
  const decided = totals.succeeded + totals.declined;
  return {
    since: since.toISOString(),
    payments: totals.count,
    succeeded: totals.succeeded,
    declined: totals.declined,
    success_rate: decided === 0 ? null : totals.succeeded / decided,
    volume: totals.volume,
    refunds: totals.refunds,
    decline_codes: totals.declineCodes,
  };
}

/** The reads the operations console needs beyond the client API: all admin only. */
export const adminConsoleRoutes: FastifyPluginAsyncTypebox<ConsoleRouteDeps> = async (app, { services, reads, processor, now }) => {
  const withEmail = async (payment: Payment) => ({
    ...presentPaymentDetails(payment),
    id: payment.id,
    customer_email: (await services.customers.findById(payment.customerId))?.email ?? null,
  });

  app.get('/payment/admin/payments', {
    config: { access: 'admin' },
    schema: {
      tags: ['admin'],
      operationId: 'listAdminPayments',
      summary: 'Payments for the operators, newest first, with filters',
      description: 'Filter by `status`, `orderId`, the customer\'s `email` and a creation range (`from` inclusive, `to` exclusive); page with `limit` and `next_cursor`. Admin role only.',
      querystring: AdminPaymentsQuery,
      response: { 200: AdminPaymentPage, ...errorResponses() },
    },
  }, async (request) => {
    const { status, orderId, email, from, to, limit, cursor } = request.query;
    const customer = email
      ? await services.customers.getByEmail(email).catch((error: unknown) => {
          if (isAppError(error) && error.code === 'customer_not_found') return null;
          throw error;
        })
      : undefined;
    const empty = { success: true as const, data: [], has_more: false, next_cursor: null };
    if (customer === null) return empty;
    const ids = await reads.listIds(
      { status, orderId, customerId: customer?.id, createdFrom: from ? new Date(from) : undefined, createdTo: to ? new Date(to) : undefined },
      limit + 1,
      cursor ?? null,
    );
    const { page, ...paging } = pageOf(ids, limit, (id) => id);
    const payments = await Promise.all(page.map((id) => services.payments.get(id)));
    return { success: true as const, data: await Promise.all(payments.map(withEmail)), ...paging };
  });

  app.get('/payment/admin/payments/:id', {
    config: { access: 'admin' },
    schema: {
      tags: ['admin'],
      operationId: 'getPaymentDossier',
      summary: 'Everything recorded of one payment',
      description: 'The payment with its delivery and quote, its customer and card, the timeline of its status changes, its refunds and its notifications to the Order Service. Admin role only.',
      params: AdminPaymentParams,
      response: { 200: Envelope(PaymentDossierData), ...errorResponses('payment_intent_not_found') },
    },
  }, async (request) => {
    const payment = await services.payments.get(request.params.id);
    const [customer, card, events, refunds, outboxIds] = await Promise.all([
      services.customers.findById(payment.customerId),
      payment.paymentMethodId ? reads.card(payment.paymentMethodId) : null,
      reads.events(payment.id),
      services.refunds.list(payment.id),
      reads.outboxIds(payment.id),
    ]);
    const entries = (await Promise.all(outboxIds.map((id) => services.outbox.findById(id)))).filter((e): e is OutboxEntry => e !== null);
    const pi = payment.processorPaymentIntentId;
    return {
      success: true as const,
      data: {
        payment: { ...(await withEmail(payment)), ...presentDelivery(await services.deliveries.view(payment)) },
        customer: customer ? { customer_id: customer.processorCustomerId, email: customer.email, name: customer.name } : null,
        card: card ? { brand: card.brand, last4: card.last4, exp_month: card.expMonth, exp_year: card.expYear } : null,
        timeline: events.map((e) => ({ from_status: e.fromStatus, to_status: e.toStatus, source: e.source, at: e.at.toISOString() })),
        refunds: pi ? refunds.refunds.map((refund) => presentRefundDetails(refund, pi)) : [],
        notifications: entries.map((entry) => presentOutboxEntry(entry, pi)),
      },
    };
  });

  app.get('/payment/admin/payments/:id/processor', {
    config: { access: 'admin' },
    schema: {
      tags: ['admin'],
      operationId: 'getProcessorView',
      summary: 'The processor\'s own view of a payment, asked now',
      description: 'Retrieves the payment intent from the processor, to compare with what the service recorded. Nothing is changed. A payment the processor never heard of is 409 `invalid_state`. Admin role only.',
      params: AdminPaymentParams,
      response: { 200: Envelope(ProcessorViewData), ...errorResponses('payment_intent_not_found', 'invalid_state', ...PROCESSOR_ERRORS) },
    },
  }, async (request) => {
    const payment = await services.payments.get(request.params.id);
    if (!payment.processorPaymentIntentId) throw new AppError('invalid_state', 'The processor has not answered for this payment yet: it has no payment intent id');
    const intent = await processor.retrievePaymentIntent(payment.processorPaymentIntentId);
    return {
      success: true as const,
      data: {
        processor: processor.name,
        payment_intent_id: intent.id,
        status: intent.status,
        amount: intent.amount,
        currency: intent.currency,
        amount_received: intent.amountReceived,
        amount_capturable: intent.amountCapturable,
        capture_method: intent.captureMethod,
        last_payment_error: intent.lastError ? { code: intent.lastError.code, decline_code: intent.lastError.declineCode, message: intent.lastError.message } : null,
        capture_before: intent.captureBefore?.toISOString() ?? null,
      },
    };
  });

  const settleDescription = (what: string) =>
    `Asks the processor now what became of ${what} left unresolved (its outcome unknown, an unanswered operation), exactly as a ` +
    'reconciler pass would for its row, and answers it as recorded afterwards: still unresolved when the processor does not know it either. ' +
    'Anything else is 409 `invalid_state`; a processor that cannot be reached is 503 `processor_unavailable` and nothing changes. Admin role only.';

  app.post('/payment/admin/payments/:id/reconcile', {
    config: { access: 'admin' },
    schema: {
      tags: ['admin'],
      operationId: 'reconcilePayment',
      summary: 'Settle an unresolved payment now, by asking the processor',
      description: settleDescription('a payment'),
      params: AdminPaymentParams,
      response: { 200: Envelope(AdminPaymentData), ...errorResponses('payment_intent_not_found', 'invalid_state', ...PROCESSOR_ERRORS) },
    },
  }, async (request) => ({ success: true as const, data: await withEmail(await services.reconciler.settlePayment(request.params.id)) }));

  app.post('/payment/admin/refunds/:id/reconcile', {
    config: { access: 'admin' },
    schema: {
      tags: ['admin'],
      operationId: 'reconcileRefund',
      summary: 'Settle a refund of unknown outcome now, by asking the processor',
      description: settleDescription('a refund'),
      params: AdminRefundParams,
      response: { 200: Envelope(AdminRefundData), ...errorResponses('refund_not_found', 'invalid_state', ...PROCESSOR_ERRORS) },
    },
  }, async (request) => {
    const refund = await services.reconciler.settleRefund(request.params.id);
    const payment = await services.payments.get(refund.paymentId);
    return {
      success: true as const,
      data: { ...presentRefundDetails(refund, payment.processorPaymentIntentId ?? payment.id), id: refund.id, payment_id: payment.id },
    };
  });

  app.get('/payment/admin/attention', {
    config: { access: 'admin' },
    schema: {
      tags: ['admin'],
      operationId: 'listNeedsAttention',
      summary: 'What the reconciler left for a person',
      description: 'Payments and refunds still unsettled after the reconciler tried them and `stale` passed untouched, and the count of dead notifications. Authorizations close to their deadline: GET /payment/admin/authorizations. Admin role only.',
      querystring: AttentionQuery,
      response: { 200: Envelope(AttentionData), ...errorResponses() },
    },
  }, async (request) => {
    const [rows, outbox] = await Promise.all([reads.attention(parseDuration(request.query.stale), 100), services.outbox.summary()]);
    const items = await Promise.all(rows.map(async (row) => ({
      kind: row.kind,
      id: row.id,
      payment_id: row.paymentId,
      payment_intent_id: (await services.payments.get(row.paymentId)).processorPaymentIntentId,
      status: row.status,
      amount: row.amount,
      currency: row.currency,
      reason: row.reason,
      updated_at: row.updatedAt.toISOString(),
    })));
    return { success: true as const, data: { items, dead_notifications: outbox.dead } };
  });

  app.get('/payment/admin/summary', {
    config: { access: 'admin' },
    schema: {
      tags: ['admin'],
      operationId: 'getSummary',
      summary: 'Payments at a glance: today and the last 7 days',
      description: 'Counts by creation time (UTC days): payments, succeeded (authorized or charged), declined, the success rate, volume charged and refunds per currency, decline codes; and the last 7 days one by one. Admin role only.',
      response: { 200: Envelope(SummaryData), ...errorResponses() },
    },
  }, async () => {
    const today = new Date(Math.floor(now().getTime() / DAY_MS) * DAY_MS);
    const weekStart = new Date(today.getTime() - 6 * DAY_MS);
    const [todayTotals, weekTotals, days] = await Promise.all([reads.totals(today), reads.totals(weekStart), reads.perDay(weekStart)]);
    const byDay = new Map(days.map((d) => [d.day, d]));
    const perDay = Array.from({ length: 7 }, (_, i) => {
      const day = new Date(weekStart.getTime() + i * DAY_MS).toISOString().slice(0, 10);
      return { day, succeeded: byDay.get(day)?.succeeded ?? 0, declined: byDay.get(day)?.declined ?? 0 };
    });
    return { success: true as const, data: { today: presentTotals(today, todayTotals), last_7_days: presentTotals(weekStart, weekTotals), per_day: perDay } };
  });
};
