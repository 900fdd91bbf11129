import type { DeliveryService } from '../domain/deliveries.js';
import type { Logger } from '../domain/processor-errors.js';

/**
 * Looks, every interval, at the authorizations that wait for their delivery: captures the delivered
 * ones whose capture failed, warns of those about to lapse, cancels those that lapsed. Two instances
 * may sweep at once: each capture or cancel is marked on its row first (compare and set), so only
 * one of them sends it.
 */
export class AuthorizationWatchdog {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly deliveries: DeliveryService,
    private readonly logger: Logger,
    private readonly warnBeforeMs: number,
  ) {}

  /** One sweep; a sweep already running is joined rather than doubled. */
  runOnce(): Promise<{ captured: number; warned: number; canceled: number }> {
    this.running ??= this.deliveries.sweep(this.warnBeforeMs).finally(() => {
      this.running = null;
    });
    return this.running as Promise<{ captured: number; warned: number; canceled: number }>;
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.logger.error({ err: error }, 'the authorization watchdog failed; it runs again at the next interval'));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
