import type { IdempotencyKeysRepository } from '../store/idempotency-keys-repository.js';
import type { PaymentsRepository } from '../store/payments-repository.js';
import type { RefundsRepository } from '../store/refunds-repository.js';
import type { PaymentService } from './payments.js';
import type { Logger } from './processor-errors.js';
import type { RefundService } from './refunds.js';

export interface ReconcilerOptions {
  /** A row untouched for less than this may still be in the hands of the request that wrote it. */
  graceMs: number;
  /** How long one instance keeps a claimed row to itself. */
  leaseMs: number;
  /** Rows claimed per round. */
  batchSize: number;
  /** How long a client's idempotency key is remembered. */
  idempotencyKeyTtlMs: number;
}

export interface ReconcileReport {
  payments: number;
  refunds: number;
  failures: number;
  expiredKeys: number;
}

/**
 * The janitor: resolves every payment and refund whose outcome is unknown (a crash, a timeout),
 * stuck processing, or whose capture or cancel was never answered; cancels authorizations past
 * their capture deadline; forgets old idempotency keys. It runs at boot and on an interval, and
 * several instances may run it at once: each row is leased to one of them.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReconcileReport> | null = null;

  constructor(
    private readonly payments: PaymentService,
    private readonly refunds: RefundService,
    private readonly paymentsRepository: PaymentsRepository,
    private readonly refundsRepository: RefundsRepository,
    private readonly idempotencyKeys: IdempotencyKeysRepository,
    private readonly logger: Logger,
    private readonly options: ReconcilerOptions,
  ) {}

  /** One full pass; concurrent calls in one process share the pass already running. */
  runOnce(): Promise<ReconcileReport> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((error) => this.logger.error({ err: error }, 'reconciliation pass failed'));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  private async pass(): Promise<ReconcileReport> {
    const report: ReconcileReport = { payments: 0, refunds: 0, failures: 0, expiredKeys: 0 };
    const { graceMs, leaseMs, batchSize } = this.options;
    // A row is leased when claimed, so one pass never sees it twice; the guard is for leases shorter than a pass.
    const seen = new Set<string>();
    for (;;) {
      const batch = (await this.paymentsRepository.claimUnresolved(batchSize, graceMs, leaseMs)).filter((p) => !seen.has(p.id));
      if (batch.length === 0) break;
      for (const payment of batch) {
        seen.add(payment.id);
        try {
          const resolved = await this.payments.resolve(payment, 'reconciler');
          report.payments += 1;
          if (resolved.status !== payment.status) {
            this.logger.info({ paymentId: payment.id, from: payment.status, to: resolved.status }, 'reconciled a payment');
          }
        } catch (error) {
          report.failures += 1;
          this.logger.warn({ err: error, paymentId: payment.id }, 'could not reconcile a payment yet');
        }
      }
    }
    for (;;) {
      const batch = (await this.refundsRepository.claimUnresolved(batchSize, graceMs, leaseMs)).filter((r) => !seen.has(r.id));
      if (batch.length === 0) break;
      for (const refund of batch) {
        seen.add(refund.id);
        try {
          await this.refunds.resolve(refund);
          report.refunds += 1;
        } catch (error) {
          report.failures += 1;
          this.logger.warn({ err: error, refundId: refund.id }, 'could not reconcile a refund yet');
        }
      }
    }
    report.expiredKeys = await this.idempotencyKeys.deleteOlderThan(this.options.idempotencyKeyTtlMs);
    return report;
  }
}
