/**
 * The Order Service's one call we make: PUT {base}/updateStatus {orderId, status}. Knows HTTP and
 * the contract's answers, nothing of payments: each answer becomes what the caller can act on.
 */
export type OrderServiceAnswer =
  | { kind: 'delivered' }
  /** Worth trying again: no answer, a timeout, 5xx, 408 or 429 (with the wait it asked for, if any). */
  | { kind: 'retry'; reason: string; retryAfterMs: number | null }
  /** 401 or 403: the token was refused. */
  | { kind: 'unauthorized'; status: number; reason: string }
  /** Any other 4xx: sending it again will not help. */
  | { kind: 'refused'; status: number; reason: string };

export interface OrderServiceClientOptions {
  baseUrl: string;
  timeoutMs: number;
}

export class OrderServiceClient {
  constructor(private readonly options: OrderServiceClientOptions) {}

  async updateStatus(body: { orderId: string; status: string }, token: string | null, headers: Record<string, string> = {}): Promise<OrderServiceAnswer> {
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}/updateStatus`, {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: JSON.stringify({ orderId: body.orderId, status: body.status }),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      return { kind: 'retry', reason: timedOut ? `no answer within ${this.options.timeoutMs} ms` : `unreachable (${causeOf(error)})`, retryAfterMs: null };
    }
    const text = await response.text().catch(() => '');
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: 'delivered' };
    const reason = `${status} ${summarize(text)}`;
    if (status >= 500 || status === 408 || status === 429) return { kind: 'retry', reason, retryAfterMs: retryAfterMs(response.headers.get('retry-after')) };
    if (status === 401 || status === 403) return { kind: 'unauthorized', status, reason };
    return { kind: 'refused', status, reason };
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/** The start of an answer's body, on one line, for the outbox's last error (never a token: the Order Service does not echo it). */
function summarize(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 200);
}
