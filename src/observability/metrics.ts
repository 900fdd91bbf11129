import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReconcileReport } from '../domain/reconciler.js';
import type { Database } from '../store/database.js';
import type { OutboxRepository } from '../store/outbox-repository.js';
import { StatusCounts } from '../store/status-counts.js';

/** Where the scrape-time gauges read from; each is optional so a partial wiring still scrapes. */
export interface MetricSources {
  db: Database;
  outbox?: OutboxRepository;
}

/** What a processor call ended as: ok, or the ProcessorError kind (`internal` for anything else). */
export type ProcessorCallOutcome = 'ok' | string;

// Payments are slow by nature (a processor round trip, 3-D Secure lookups): buckets up to a minute.
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * Every series the service exposes on GET /metrics, in a registry of its own (one per app, so
 * two apps in one process never share counts). Counters are bumped by the parts that see the
 * event; the gauges of stored state (payments, refunds, the outbox) are read from the database at
 * scrape time, so the payment path carries no bookkeeping.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  private readonly requestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route (its pattern) and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  private readonly processorDuration = new Histogram({
    name: 'payment_processor_call_duration_seconds',
    help: 'Time of one call to the payment processor, by processor, operation and outcome (ok or the error kind).',
    labelNames: ['processor', 'operation', 'outcome'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });

  private readonly processorErrors = new Counter({
    name: 'payment_processor_errors_total',
    help: 'Calls to the payment processor that failed, by processor, operation and error kind (a decline is card_declined).',
    labelNames: ['processor', 'operation', 'kind'] as const,
    registers: [this.registry],
  });

  private readonly idempotencyReplays = new Counter({
    name: 'payment_idempotency_replays_total',
    help: 'Requests answered from a stored answer of their Idempotency-Key (Idempotent-Replayed: true).',
    registers: [this.registry],
  });

  private readonly idempotencyInProgress = new Counter({
    name: 'payment_idempotency_in_progress_total',
    help: 'Requests answered 409 idempotency_in_progress: their key was still held by a running request.',
    registers: [this.registry],
  });

  private readonly reconcilerPasses = new Counter({
    name: 'payment_reconciler_passes_total',
    help: 'Reconciliation passes, by outcome (completed, or failed when the pass itself threw).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly reconcilerResolved = new Counter({
    name: 'payment_reconciler_rows_resolved_total',
    help: 'Rows the reconciler settled, by kind (payment, refund, refund_recheck).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly reconcilerLeftTotal = new Counter({
    name: 'payment_reconciler_rows_left_total',
    help: 'Rows a reconciliation pass could not settle and left for the next pass or a person.',
    registers: [this.registry],
  });

  private readonly reconcilerLeft = new Gauge({
    name: 'payment_reconciler_rows_left',
    help: 'Rows the last reconciliation pass could not settle (stays above 0 while a person is needed).',
    registers: [this.registry],
  });

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry });
    const { outbox, db } = sources;
    // Read first, before the scrape's own queries below take connections from the pool.
    new Gauge({
      name: 'payment_db_pool_connections',
      help: 'Database connections of the pool, by state (in_use, idle).',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const stats = db.stats?.();
        if (!stats) return;
        this.set({ state: 'in_use' }, stats.total - stats.idle);
        this.set({ state: 'idle' }, stats.idle);
      },
    });
    new Gauge({
      name: 'payment_db_pool_waiting',
      help: 'Queries waiting for a free database connection.',
      registers: [this.registry],
      collect() {
        const stats = db.stats?.();
        if (stats) this.set(stats.waiting);
      },
    });
    const counts = new StatusCounts(sources.db);
    // A scrape while the database is down still answers: the stored-state gauges are left empty
    // (absent series), and the pool's own numbers and everything counted in memory are still there.
    const fromDatabase = (fill: () => Promise<void>) => fill().catch(() => {});
    new Gauge({
      name: 'payment_payments',
      help: 'Payments stored, by status and processor.',
      labelNames: ['status', 'processor'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        await fromDatabase(async () => {
          for (const row of await counts.payments()) this.set({ status: row.status, processor: row.processor }, row.count);
        });
      },
    });
    new Gauge({
      name: 'payment_refunds',
      help: 'Refunds stored, by status and processor.',
      labelNames: ['status', 'processor'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        await fromDatabase(async () => {
          for (const row of await counts.refunds()) this.set({ status: row.status, processor: row.processor }, row.count);
        });
      },
    });
    if (outbox) {
      // One query answers the three; a scrape reads them one after another, so the first asks and the others reuse it.
      let summary: ReturnType<OutboxRepository['summary']> | null = null;
      const read = () => (summary ??= outbox.summary().finally(() => setImmediate(() => (summary = null))));
      const outboxGauge = (name: string, help: string, value: (s: Awaited<ReturnType<OutboxRepository['summary']>>) => number) =>
        new Gauge({
          name,
          help,
          registers: [this.registry],
          async collect() {
            this.reset();
            await fromDatabase(async () => this.set(value(await read())));
          },
        });
      outboxGauge('payment_outbox_pending', 'Order Service notifications waiting to be delivered.', (s) => s.pending);
      outboxGauge('payment_outbox_dead', 'Order Service notifications given up on (a person must repair or drop them).', (s) => s.dead);
      outboxGauge('payment_outbox_oldest_pending_age_seconds', 'Age of the oldest notification waiting (0 when none waits).', (s) =>
        s.oldestPendingAt ? Math.max(0, (Date.now() - s.oldestPendingAt.getTime()) / 1000) : 0,
      );
    }
  }

  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status_code: String(statusCode) }, seconds);
  }

  observeProcessorCall(processor: string, operation: string, outcome: ProcessorCallOutcome, seconds: number): void {
    this.processorDuration.observe({ processor, operation, outcome }, seconds);
    if (outcome !== 'ok') this.processorErrors.inc({ processor, operation, kind: outcome });
  }

  idempotencyReplayed(): void {
    this.idempotencyReplays.inc();
  }

  idempotencyConflict(): void {
    this.idempotencyInProgress.inc();
  }

  reconciled(report: ReconcileReport | null): void {
    if (!report) {
      this.reconcilerPasses.inc({ outcome: 'failed' });
      return;
    }
    this.reconcilerPasses.inc({ outcome: 'completed' });
    this.reconcilerResolved.inc({ kind: 'payment' }, report.payments);
    this.reconcilerResolved.inc({ kind: 'refund' }, report.refunds);
    this.reconcilerResolved.inc({ kind: 'refund_recheck' }, report.refundsRechecked);
    this.reconcilerLeftTotal.inc(report.failures);
    this.reconcilerLeft.set(report.failures);
  }

  /** The exposition text Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
