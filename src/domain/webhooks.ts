import { AppError } from '../errors.js';
import { WebhookSignatureError, type ProcessorEvent, type WebhookCodec } from '../processors/processor-events.js';
import type { PaymentProcessor, ProcessorPaymentIntent } from '../processors/processor.js';
import type { PaymentsRepository } from '../store/payments-repository.js';
import type { StoredEvent, WebhookEventsRepository } from '../store/webhook-events-repository.js';
import { isUuid } from './ids.js';
import type { Payment } from './models.js';
import { outcomeFromIntent } from './payment-outcomes.js';
import type { KnownPaymentStatus } from './payment-state.js';
import type { PaymentService } from './payments.js';
import type { Logger } from './processor-errors.js';
import type { RefundService } from './refunds.js';

/** What processing an event did, as its row records it. */
export type EventOutcome = 'applied' | 'unchanged' | 'ignored' | 'recorded' | 'deferred';

/** An event left unprocessed this long (the process stopped after storing it, or processing failed) is taken up by the reconciler. */
export const EVENT_SWEEP_GRACE_MS = 5_000;

/**
 * Statuses an intent never leaves: an event saying so is recorded as it is. Any other status in an
 * event may already be stale (events come late and out of order), so the intent is fetched anew.
 */
const FINAL_STATUSES: ReadonlySet<KnownPaymentStatus> = new Set(['succeeded', 'canceled']);

export interface WebhookServiceDeps {
  events: WebhookEventsRepository;
  payments: PaymentService;
  paymentsRepository: PaymentsRepository;
  refunds: RefundService;
  processor: PaymentProcessor;
  codec: WebhookCodec;
  logger: Logger;
}

export interface WebhookOptions {
  /** The endpoint's signing secrets; none: events are refused (503) rather than accepted unsigned. */
  secrets: readonly string[];
  /** How long one worker holds an event it processes. */
  leaseMs: number;
}

/**
 * The processor's events (Stripe webhooks): verified on the raw body, stored once per event id,
 * answered, then processed in the background, one at a time, in arrival order. Every change they
 * cause goes through the same transition tables (and so the same notifications) as the API's own
 * calls, so a late, repeated or out-of-order event never moves a payment or a refund backwards.
 */
export class WebhookService {
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: WebhookServiceDeps,
    private readonly options: WebhookOptions,
  ) {}

  /**
   * Verifies and stores an event, then schedules its processing (after the caller has answered).
   * `duplicate`: the event id was stored before, so nothing new is done.
   */
  async receive(rawBody: Buffer, signatureHeader: string | undefined): Promise<{ eventId: string; type: string; duplicate: boolean }> {
    if (this.options.secrets.length === 0) {
      throw new AppError(
        'service_unavailable',
        'Webhooks are not configured: set STRIPE_WEBHOOK_SECRET to the signing secret (whsec_...) of this endpoint; Stripe sends the event again later',
      );
    }
    let event;
    try {
      event = this.deps.codec.verify(rawBody, signatureHeader, this.options.secrets);
    } catch (error) {
      if (!(error instanceof WebhookSignatureError)) throw error;
      throw new AppError(error.reason === 'not_an_event' ? 'validation_failed' : 'webhook_signature_invalid', error.message);
    }
    const inserted = await this.deps.events.insert(event);
    // A duplicate is queued too: if its first copy is still unprocessed, this takes it up; if not, the claim finds nothing.
    this.enqueue(event.id);
    return { eventId: event.id, type: event.type, duplicate: !inserted };
  }

  /** Resolves once every event queued so far is processed: for an orderly shutdown and for tests. */
  async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.queue;
      await current;
    } while (current !== this.queue);
  }

  /** Takes no more events into the queue and waits for those in it; the reconciler sweeps up the rest later. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.settled();
  }

  /** The reconciler's part: events stored but not processed for a few seconds, a batch at a time. */
  async processUnprocessed(batchSize: number): Promise<{ processed: number; failed: number }> {
    const counts = { processed: 0, failed: 0 };
    const seen = new Set<string>();
    for (;;) {
      const batch = (await this.deps.events.claimUnprocessed(batchSize, EVENT_SWEEP_GRACE_MS, this.options.leaseMs)).filter((e) => !seen.has(e.id));
      if (batch.length === 0) return counts;
      for (const event of batch) {
        seen.add(event.id);
        if (await this.run(event)) counts.processed += 1;
        else counts.failed += 1;
      }
    }
  }

  private enqueue(eventId: string): void {
    if (this.stopped) return;
    // setImmediate: the 200 goes out before the work begins.
    this.queue = this.queue
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(async () => {
        const event = await this.deps.events.claim(eventId, this.options.leaseMs);
        if (event) await this.run(event);
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error, eventId }, 'could not take up a webhook event; the reconciler will'));
  }

  /** Processes one claimed event; false when it failed (it stays unprocessed, for a later attempt). */
  private async run(event: StoredEvent): Promise<boolean> {
    try {
      const outcome = await this.apply(event, this.deps.codec.interpret(event.payload));
      await this.deps.events.markProcessed(event.id, outcome);
      return true;
    } catch (error) {
      this.deps.logger.warn({ err: error, eventId: event.id, type: event.type, attempts: event.attempts }, 'processing a webhook event failed; it is tried again later');
      await this.deps.events.markFailed(event.id, error instanceof Error ? error.message : String(error)).catch(() => {});
      return false;
    }
  }

  private async apply(event: StoredEvent, meaning: ProcessorEvent): Promise<EventOutcome> {
    switch (meaning.kind) {
      case 'payment_intent':
        return this.applyIntent(event, meaning.intent, meaning.metadata);
      case 'refund': {
        const recorded = await this.deps.refunds.recordReportedRefund(meaning.refund);
        if (!recorded) return this.ignored(event, 'a refund of a payment this service does not know');
        return recorded.changed ? 'applied' : 'unchanged';
      }
      case 'charge_refunds': {
        // Without the charge's refunds listed, its refund.* events tell them; this one is kept for the record.
        if (meaning.refunds.length === 0) return 'recorded';
        const recorded = [];
        for (const refund of meaning.refunds) recorded.push(await this.deps.refunds.recordReportedRefund(refund));
        if (recorded.every((r) => r === null)) return this.ignored(event, 'refunds of a payment this service does not know');
        return recorded.some((r) => r?.changed) ? 'applied' : 'unchanged';
      }
      case 'dispute': {
        const { dispute } = meaning;
        const payment = dispute.paymentIntentId ? await this.deps.paymentsRepository.findByProcessorId(dispute.paymentIntentId) : null;
        // Money is held back from us until the dispute is settled: someone must answer it in the Dashboard.
        this.deps.logger.error(
          {
            eventId: event.id, disputeId: dispute.id, chargeId: dispute.chargeId, paymentIntentId: dispute.paymentIntentId,
            paymentId: payment?.id ?? null, orderId: payment?.orderId ?? null, amount: dispute.amount, currency: dispute.currency,
            reason: dispute.reason, status: dispute.status,
          },
          'a customer disputed a payment: answer the dispute at the processor (Stripe Dashboard) before its deadline',
        );
        return 'recorded';
      }
      case 'unhandled':
        return 'ignored';
    }
  }

  private async applyIntent(event: StoredEvent, reported: ProcessorPaymentIntent, metadata: Record<string, string>): Promise<EventOutcome> {
    const payment = await this.paymentOf(reported.id, metadata);
    if (!payment) return this.ignored(event, 'a payment intent this service did not make');
    const final = FINAL_STATUSES.has(reported.status);
    // A capture or cancel in flight settles the payment itself (or the reconciler does): a passing snapshot must not clear its trace.
    if (!final && payment.pendingOperation !== null) return 'deferred';
    const intent = final ? reported : await this.deps.processor.retrievePaymentIntent(reported.id);
    const recorded = await this.deps.payments.record(payment, outcomeFromIntent(intent), 'webhook');
    if (recorded.status === payment.status) return 'unchanged';
    this.deps.logger.info({ eventId: event.id, paymentId: payment.id, from: payment.status, to: recorded.status }, 'a processor event moved a payment');
    return 'applied';
  }

  /**
   * Our payment for an intent: by its id, or by our row id in its metadata, since an event may come
   * before the answer that told us the intent's id was recorded.
   */
  private async paymentOf(intentId: string, metadata: Record<string, string>): Promise<Payment | null> {
    const byId = await this.deps.paymentsRepository.findByProcessorId(intentId);
    if (byId) return byId;
    const ours = metadata['payment_id'];
    const byMetadata = ours && isUuid(ours) ? await this.deps.paymentsRepository.findById(ours) : null;
    // Its id may have been recorded between the two reads; a row that names another intent is not this one's.
    return byMetadata && (byMetadata.processorPaymentIntentId === null || byMetadata.processorPaymentIntentId === intentId) ? byMetadata : null;
  }

  private ignored(event: StoredEvent, what: string): EventOutcome {
    this.deps.logger.info({ eventId: event.id, type: event.type, objectId: event.objectId }, `ignored an event about ${what}`);
    return 'ignored';
  }
}
