import type { IdempotencyKeysRepository } from '../store/idempotency-keys-repository.js';
import type { PaymentsRepository } from '../store/payments-repository.js';
import type { RefundsRepository } from '../store/refunds-repository.js';
import { AppError } from '../errors.js';
import { needsSettling } from './given-up-payments.js';
import { isUuid } from './ids.js';
import type { Payment, Refund } from './models.js';
import { needsResolution } from './payment-outcomes.js';
import type { PaymentService } from './payments.js';
import type { Logger } from './processor-errors.js';
import type { RefundService } from './refunds.js';
import type { WebhookService } from './webhooks.js';

export interface ReconcilerOptions {
  /** A row untouched for less than this may still be in the hands of the request that wrote it. */
  graceMs: number;
  /** How long one instance keeps a claimed row to itself. */
  leaseMs: number;
  /** Rows claimed per round. */
  batchSize: number;
  /**
   * Rows of a round resolved at once (default 1). Each is a processor call and a few statements
   * under the row's own lock, as two instances resolving their own leases at once would be.
   */
  concurrency?: number;
  /** How long a client's idempotency key is remembered. */
  idempotencyKeyTtlMs: number;
  /** How long after its creation a succeeded refund is still asked about: the processor may fail it later. */
  refundWatchMs: number;
  /** How often one such refund is asked about. */
  refundRecheckMs: number;
}

export interface ReconcileReport {
  payments: number;
  refunds: number;
  /** Succeeded refunds asked about again (a late failure is recorded and logged by the refund service). */
  refundsRechecked: number;
  failures: number;
  expiredKeys: number;
  /** Webhook events stored but left unprocessed (a crash after the commit, a failure), processed now. */
  events: number;
}

/**
 * The janitor: resolves every payment and refund whose outcome is unknown (a crash, a timeout),
 * stuck processing, or whose capture or cancel was never answered; asks again about recent
 * succeeded refunds, so one the processor failed later is caught even when its event was lost;
 * cancels authorizations past their capture deadline; processes webhook events left unprocessed;
 * forgets old idempotency keys. It runs at boot and on an interval, and
 * several instances may run it at once: each row is leased to one of them.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReconcileReport> | null = null;
  private stopping = false;
  /** Told of every pass's report (null: the pass threw), for the metrics. */
  private readonly listeners: Array<(report: ReconcileReport | null) => void> = [];

  constructor(
    private readonly payments: PaymentService,
    private readonly refunds: RefundService,
    private readonly paymentsRepository: PaymentsRepository,
    private readonly refundsRepository: RefundsRepository,
    private readonly idempotencyKeys: IdempotencyKeysRepository,
    private readonly logger: Logger,
    private readonly options: ReconcilerOptions,
    private readonly webhooks: WebhookService | null = null,
  ) {}

  /** One full pass; concurrent calls in one process share the pass already running. */
  runOnce(): Promise<ReconcileReport> {
    const tell = (report: ReconcileReport | null) => this.listeners.forEach((listener) => listener(report));
    this.running ??= this.pass()
      .then(
        (report) => (tell(report), report),
        (error: unknown) => {
          tell(null);
          throw error;
        },
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Calls `listener` after each pass with its report, or null when the pass failed. */
  onPass(listener: (report: ReconcileReport | null) => void): void {
    this.listeners.push(listener);
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((error) => this.logger.error({ err: error }, 'reconciliation pass failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops after the rows in hand (a shutdown): what is left is claimed again by the next pass, here or elsewhere. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /**
   * Settles one unresolved payment now, for an operator: what a pass does for its row, without
   * waiting for one. invalid_state when its outcome is known and nothing is left to settle.
   */
  async settlePayment(id: string): Promise<Payment> {
    const payment = await this.payments.get(id);
    if (!needsResolution(payment) && !needsSettling(payment)) {
      throw new AppError('invalid_state', `Payment ${id} is not unresolved: it is ${payment.status}, with nothing left to settle`, { status: payment.status });
    }
    return this.resolvePayment(payment);
  }

  /** Settles one refund whose outcome is unknown now, for an operator; invalid_state for any other. */
  async settleRefund(id: string): Promise<Refund> {
    const refund = id.startsWith('re_') ? await this.refundsRepository.findByProcessorId(id) : isUuid(id) ? await this.refundsRepository.findById(id) : null;
    if (!refund) throw new AppError('refund_not_found', `No such refund: ${id}`);
    if (refund.status !== 'unknown') throw new AppError('invalid_state', `Refund ${id} is not unresolved: it is ${refund.status}`, { status: refund.status });
    return this.refunds.resolve(refund);
  }

  private async resolvePayment(payment: Payment): Promise<Payment> {
    const resolved = await this.payments.resolve(payment, 'reconciler');
    if (resolved.status !== payment.status) {
      this.logger.info({ paymentId: payment.id, from: payment.status, to: resolved.status }, 'reconciled a payment');
    }
    return resolved;
  }

  private async pass(): Promise<ReconcileReport> {
    const { graceMs, leaseMs, batchSize } = this.options;
    const payments = await this.drain('payment', (n) => this.paymentsRepository.claimUnresolved(n, graceMs, leaseMs), (payment) => this.resolvePayment(payment).then(() => undefined));
    const resolveRefund = (refund: Refund) => this.refunds.resolve(refund).then(() => undefined);
    const refunds = await this.drain('refund', (n) => this.refundsRepository.claimUnresolved(n, graceMs, leaseMs), resolveRefund);
    const { refundWatchMs, refundRecheckMs } = this.options;
    const rechecked = await this.drain('refund', (n) => this.refundsRepository.claimRecentlySucceeded(n, refundWatchMs, refundRecheckMs), resolveRefund);
    const events = (await this.webhooks?.processUnprocessed(batchSize)) ?? { processed: 0, failed: 0 };
    return {
      payments: payments.resolved,
      refunds: refunds.resolved,
      refundsRechecked: rechecked.resolved,
      events: events.processed,
      failures: payments.failed + refunds.failed + rechecked.failed + events.failed,
      expiredKeys: await this.idempotencyKeys.deleteOlderThan(this.options.idempotencyKeyTtlMs),
    };
  }

  /** Claims and resolves rows of one kind, a batch at a time, until none is left to claim. */
  private async drain<T extends { id: string }>(
    kind: 'payment' | 'refund',
    claim: (limit: number) => Promise<T[]>,
    resolve: (row: T) => Promise<void>,
  ): Promise<{ resolved: number; failed: number }> {
    // A row is leased when claimed, so one pass never sees it twice; the guard is for leases shorter than a pass.
    const seen = new Set<string>();
    const counts = { resolved: 0, failed: 0 };
    for (;;) {
      if (this.stopping) return counts;
      const batch = (await claim(this.options.batchSize)).filter((row) => !seen.has(row.id));
      if (batch.length === 0) return counts;
      let next = 0;
      const worker = async () => {
        // The rest of the batch stays leased until its lease ends, then any instance takes it.
        while (next < batch.length && !this.stopping) {
          const row = batch[next++]!;
          seen.add(row.id);
          try {
            await resolve(row);
            counts.resolved += 1;
          } catch (error) {
            counts.failed += 1;
            this.logger.warn({ err: error, [`${kind}Id`]: row.id }, `could not reconcile a ${kind} yet`);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency ?? 1, batch.length) }, worker));
      if (this.stopping) return counts;
    }
  }
}
