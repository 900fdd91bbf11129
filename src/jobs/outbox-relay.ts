import { decodeJwt } from 'jose';
import type { DataCipher } from '../crypto/data-cipher.js';
import { forwardedTokenContext } from '../domain/order-notifications.js';
import type { Logger } from '../domain/processor-errors.js';
import { childTraceparent } from '../observability/trace-context.js';
import type { OrderServiceAnswer, OrderServiceClient } from '../peers/order-service.js';
import type { ServiceTokenSource } from '../peers/service-token.js';
import type { OutboxEntry, OutboxRepository } from '../store/outbox-repository.js';

export interface OutboxRelayOptions {
  maxAttempts: number;
  maxAgeMs: number;
  backoffMaxMs: number;
  /** The first retry's wait; each next one doubles it, with jitter. */
  backoffBaseMs: number;
  /** How long one instance keeps a claimed row: longer than a token fetch and two calls. */
  leaseMs: number;
  batchSize: number;
}

export interface RelayReport {
  delivered: number;
  retried: number;
  dead: number;
}

/** Calls failed in a row after which the Order Service counts as having been down. */
const OUTAGE_STREAK = 3;

/** A forwarded token this close to its expiry is not sent: it could expire on the way. */
const TOKEN_EXPIRY_MARGIN_MS = 5000;

/**
 * Delivers the outbox's notifications to the Order Service: right after the commit that queued
 * one (`kick`), on an interval, and at boot. Rows are claimed with leases, so several instances
 * relay at once without sending a row twice; each order's rows go out oldest first. A failed
 * call is retried with exponential backoff and jitter (Retry-After honoured) until the row is
 * too old or tried too often, and then it is dead and logged as an error.
 */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private running: Promise<RelayReport> | null = null;
  private wanted = false;
  private stopped = false;
  /** Calls that failed in a row (no answer, 5xx, 429): a streak means an outage. */
  private failuresInARow = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly orderService: OrderServiceClient,
    private readonly cipher: DataCipher,
    private readonly serviceTokens: ServiceTokenSource | null,
    private readonly logger: Logger,
    private readonly options: OutboxRelayOptions,
  ) {}

  /** Asks for a pass now; a pass already running makes one more after it. */
  kick(): void {
    this.runOnce().catch(() => {});
  }

  /** Delivers everything due; resolves when nothing due is left. */
  runOnce(): Promise<RelayReport> {
    this.wanted = true;
    this.running ??= this.loop().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  start(intervalMs: number): void {
    this.stopped = false;
    if (intervalMs > 0) {
      this.timer = setInterval(() => this.kick(), intervalMs);
      this.timer.unref();
    }
  }

  /** Stops after the rows in hand: what is left is sent by the next start or another instance. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    await this.running?.catch(() => {});
  }

  private async loop(): Promise<RelayReport> {
    const report: RelayReport = { delivered: 0, retried: 0, dead: 0 };
    while (this.wanted && !this.stopped) {
      this.wanted = false;
      for (;;) {
        let batch: OutboxEntry[];
        try {
          batch = await this.outbox.claimDue(this.options.batchSize, this.options.leaseMs);
        } catch (error) {
          this.logger.warn({ err: error }, 'could not read the outbox; the next pass tries again');
          return report;
        }
        if (batch.length === 0 || this.stopped) break;
        // One row per order in a batch (the claim takes each order's oldest), so they can go at once.
        const outcomes = await Promise.all(batch.map((entry) => this.deliver(entry)));
        for (const outcome of outcomes) report[outcome] += 1;
      }
    }
    return report;
  }

  private async deliver(entry: OutboxEntry): Promise<keyof RelayReport> {
    try {
      const answer = await this.send(entry);
      if (answer.kind === 'delivered') {
        await this.outbox.markDelivered(entry.id);
        await this.afterSuccess();
        return 'delivered';
      }
      if (answer.kind === 'retry') this.failuresInARow += 1;
      const tooOld = Date.now() - entry.createdAt.getTime() >= this.options.maxAgeMs;
      if (answer.kind === 'retry' && entry.attempts < this.options.maxAttempts && !tooOld) {
        await this.retryLater(entry, answer.reason, this.backoffMs(entry.attempts, answer.retryAfterMs));
        return 'retried';
      }
      const why = answer.kind === 'retry' ? `${answer.reason}, after ${entry.attempts} attempts` : answer.reason;
      await this.outbox.markDead(entry.id, why);
      this.logger.error(
        { outboxId: entry.id, orderId: entry.orderId, paymentId: entry.paymentId, status: entry.payload.status, attempts: entry.attempts, lastError: why },
        'a notification to the Order Service is dead: the order did not hear of its payment; retry it with POST /payment/admin/outbox/{id}/retry',
      );
      return 'dead';
    } catch (error) {
      // Our side failed (the database, the token endpoint): the row is tried again, and the lease would free it regardless.
      await this.retryLater(entry, `not sent: ${(error as Error).message}`, this.backoffMs(entry.attempts, null)).catch(() => {});
      return 'retried';
    }
  }

  /**
   * Sends with the paying request's own token while it is valid; with a service token when it has
   * expired, when there is none, or when the Order Service refused it.
   */
  private async send(entry: OutboxEntry): Promise<OrderServiceAnswer> {
    const forwarded = entry.sealedToken ? this.cipher.decrypt(entry.sealedToken, forwardedTokenContext(entry.paymentId)) : null;
    // The trace of the request that made the payment goes on to the Order Service's side of it.
    const headers: Record<string, string> = entry.traceparent ? { traceparent: childTraceparent(entry.traceparent) } : {};
    if (forwarded !== null && !expiresSoon(forwarded)) {
      const answer = await this.orderService.updateStatus(entry.payload, forwarded, headers);
      if (answer.kind !== 'unauthorized' || !this.serviceTokens) return answer;
    }
    if (!this.serviceTokens) return this.orderService.updateStatus(entry.payload, forwarded, headers);
    const answer = await this.orderService.updateStatus(entry.payload, await this.serviceTokens.token(), headers);
    if (answer.kind !== 'unauthorized') return answer;
    // A cached token the Auth Service has since revoked or rotated: one fresh token, once.
    this.serviceTokens.invalidate();
    return this.orderService.updateStatus(entry.payload, await this.serviceTokens.token(), headers);
  }

  /**
   * The first success after an outage: what backed off during it is sent now, instead of each row
   * waiting out a backoff that grew while the Order Service was down.
   */
  private async afterSuccess(): Promise<void> {
    const recovered = this.failuresInARow >= OUTAGE_STREAK;
    this.failuresInARow = 0;
    if (!recovered) return;
    const due = await this.outbox.dueNow();
    if (due > 0) {
      this.logger.info({ due }, 'the Order Service answers again: sending the notifications that waited');
      this.wanted = true;
    }
  }

  private async retryLater(entry: OutboxEntry, reason: string, delayMs: number): Promise<void> {
    await this.outbox.scheduleRetry(entry.id, delayMs, reason);
    if (this.stopped) return;
    // This instance comes back for it on time; the sweep is the safety net.
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.kick();
    }, delayMs + 10);
    timer.unref();
    this.retryTimers.add(timer);
  }

  /** Exponential backoff with jitter (half to all of the step), or the wait the Order Service asked for. */
  private backoffMs(attempts: number, retryAfterMs: number | null): number {
    const { backoffBaseMs, backoffMaxMs } = this.options;
    if (retryAfterMs !== null) return Math.min(retryAfterMs, backoffMaxMs);
    const step = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(step * (0.5 + Math.random() * 0.5));
  }
}

/** True when a token's exp has passed or is about to; a token that is not a readable JWT is sent as it is. */
function expiresSoon(token: string): boolean {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && exp * 1000 < Date.now() + TOKEN_EXPIRY_MARGIN_MS;
  } catch {
    return false;
  }
}
