import type { SimulatedLedger } from '../../store/simulated-ledger.js';
import { signStripePayload } from '../stripe/webhook-signature.js';
import type { StripeLikeEvent } from './events.js';

/** Where the simulated processor's events go, signed as Stripe signs them: an HTTP endpoint, or a test's `inject`. */
export type EventSink = (delivery: { event: StripeLikeEvent; payload: string; signature: string }) => Promise<void>;

/** The part of a logger delivery uses. */
interface DeliveryLogger {
  warn(object: object, message: string): void;
}

const BATCH = 50;
/** After a failed delivery, the next try waits this long, doubling up to a minute (Stripe itself waits hours). */
const FIRST_RETRY_MS = 2_000;
const LAST_RETRY_MS = 60_000;

/**
 * Sends the simulated processor's events as Stripe does: after the write that made them has
 * committed, each signed with the endpoint's secret, oldest first, again later when the endpoint
 * did not take them (2xx). Delivery is at least once; the endpoint deduplicates by event id.
 */
export class EventDelivery {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = FIRST_RETRY_MS;
  /** Set by the host once it has a logger; delivery failures are only logged. */
  logger: DeliveryLogger | null = null;

  constructor(
    private readonly ledger: SimulatedLedger,
    private readonly sink: EventSink,
    private readonly secret: () => string,
  ) {
    ledger.onEventsCommitted(() => this.deliver());
  }

  /** Sends whatever is not delivered yet (the write that made it has committed); runs coalesce. */
  deliver(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.deliverAll()
      .catch((error: unknown) => this.logger?.warn({ err: error }, 'could not read the simulated processor\'s events to deliver'))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.deliver();
        }
      });
  }

  /** Resolves when no delivery is running (one started meanwhile included). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.idle();
  }

  private async deliverAll(): Promise<void> {
    for (;;) {
      const batch = await this.ledger.claimUndeliveredEvents<StripeLikeEvent>(BATCH);
      if (batch.length === 0) return;
      for (const [index, { event }] of batch.entries()) {
        const payload = JSON.stringify(event, null, 2);
        try {
          await this.sink({ event, payload, signature: signStripePayload(payload, this.secret()) });
        } catch (error) {
          await this.ledger.releaseEvents(batch.slice(index).map((entry) => entry.seq));
          this.logger?.warn({ err: error, eventId: event.id, type: event.type, retryInMs: this.retryMs }, 'the webhook endpoint did not take a simulated processor event; sending it again later');
          this.scheduleRetry();
          return;
        }
      }
      this.retryMs = FIRST_RETRY_MS;
    }
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.deliver();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, LAST_RETRY_MS);
  }
}

/** Posts each event to `url` as Stripe does: JSON body, Stripe-Signature header; anything but 2xx is a failure. */
export function httpEventSink(url: () => string, timeoutMs = 10_000): EventSink {
  return async ({ payload, signature }) => {
    const response = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
      body: payload,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    if (response.status < 200 || response.status > 299) throw new Error(`the webhook endpoint answered ${response.status}`);
  };
}
