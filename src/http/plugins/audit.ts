import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLogRepository, NewAuditEntry } from '../../store/audit-log-repository.js';

/** The routes that change money, cards or customers, and the action each is logged as. */
const AUDITED_ROUTES: Readonly<Record<string, string>> = {
  'POST /payment/customer': 'customer.create',
  'POST /payment/payment-method': 'card.save',
  'POST /payment/payment-method-details': 'card.save',
  'PUT /payment/payment-method': 'card.set_default',
  'DELETE /payment/payment-method': 'card.delete',
  'POST /payment/payment-intent': 'payment.create',
  'POST /payment/payment-intent/:id/capture': 'payment.capture',
  'POST /payment/payment-intent/:id/cancel': 'payment.cancel',
  'POST /payment/refund': 'refund.create',
  'POST /payment/admin/outbox/:id/retry': 'outbox.retry',
  // An operator settling a row the reconciler left: the processor is asked and the answer recorded.
  'POST /payment/admin/payments/:id/reconcile': 'payment.reconcile',
  'POST /payment/admin/refunds/:id/reconcile': 'refund.reconcile',
  // A delivery event captures or releases an authorization.
  'POST /payment/delivery-events': 'delivery.event',
};

/** Refusals that were carried out at the processor and recorded (a declined charge), or left a row to settle (an outage). */
const RECORDED_ERRORS = new Set(['card_declined', 'processor_invalid_request', 'payment_method_unusable', 'processor_unavailable']);

/** The admin actions whose target is named by the path's id, and the name it is logged under. */
const PATH_TARGETS: Readonly<Record<string, string>> = { 'outbox.retry': 'outbox_id', 'payment.reconcile': 'payment_id', 'refund.reconcile': 'refund_row_id' };

const ID_FIELDS: ReadonlyArray<[string, string]> = [
  ['payment_intent_id', 'payment_intent_id'], ['paymentIntentId', 'payment_intent_id'], ['refund_id', 'refund_id'],
  ['customerId', 'customer_id'], ['customer_id', 'customer_id'], ['payment_method_id', 'payment_method_id'],
  ['paymentMethodId', 'payment_method_id'], ['orderId', 'order_id'], ['order_id', 'order_id'],
];

function idsOf(...sources: unknown[]): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const source of sources) {
    if (typeof source !== 'object' || source === null) continue;
    for (const [field, name] of ID_FIELDS) {
      const value = (source as Record<string, unknown>)[field];
      if (typeof value === 'string' && value !== '' && ids[name] === undefined) ids[name] = value.slice(0, 255);
    }
  }
  return ids;
}

/**
 * The audit row of a change the API made: who (the principal), what (the action, the ids, the
 * amount), from which request. Null for a request that changed nothing: a replayed answer (the
 * same Idempotency-Key), a request refused before it changed anything, a route not audited.
 */
export function auditEntryOf(request: FastifyRequest, reply: FastifyReply, payload: unknown, adminRole: string): NewAuditEntry | null {
  const action = AUDITED_ROUTES[`${request.method} ${request.routeOptions.url}`];
  const principal = request.principal;
  if (!action || !principal || reply.getHeader('idempotent-replayed') !== undefined || typeof payload !== 'string') return null;
  let body: { success?: boolean; code?: string; data?: Record<string, unknown> } & Record<string, unknown>;
  try {
    body = JSON.parse(payload);
  } catch {
    return null;
  }
  const status = reply.statusCode;
  if (!(status < 300 || (typeof body.code === 'string' && RECORDED_ERRORS.has(body.code)))) return null;
  const data = typeof body.data === 'object' && body.data !== null ? body.data : {};
  const target = idsOf(data, body, request.body, request.params);
  const pathTarget = PATH_TARGETS[action];
  const pathId = pathTarget ? (request.params as { id?: string }).id : undefined;
  return {
    requestId: request.id,
    actorKind: principal.kind,
    actor: principal.kind === 'service' ? (principal.clientId ?? principal.subject) : (principal.subject ?? principal.email),
    actorAdmin: principal.roles.includes(adminRole),
    action,
    status,
    target: pathTarget && pathId ? { ...target, [pathTarget]: pathId.slice(0, 255) } : target,
    amount: typeof data['amount'] === 'number' ? data['amount'] : null,
    currency: typeof data['currency'] === 'string' ? data['currency'] : null,
  };
}

/**
 * Appends one audit row per change the API made (auditEntryOf), written before the answer leaves.
 * A request that owns an Idempotency-Key has its row written with the key's answer, in the same
 * statement (the idempotency plugin's onSend), not here.
 */
export function installAuditLog(app: FastifyInstance, auditLog: AuditLogRepository, adminRole: string): void {
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (request.idempotency) return payload;
    const entry = auditEntryOf(request, reply, payload, adminRole);
    if (!entry) return payload;
    try {
      await auditLog.append(entry);
    } catch (error) {
      request.log.error({ err: error, action: entry.action }, 'could not write the audit log entry of a change');
    }
    return payload;
  });
}
