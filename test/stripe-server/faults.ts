/** Which requests a fault applies to: a method (any when unset) and a path or path pattern. */
export interface FaultTarget {
  method?: 'GET' | 'POST';
  path: string | RegExp;
  /** How many matching requests it applies to; 1 when unset. */
  times?: number;
}

/** Answer with this status instead of reaching the API: the request is not processed, nothing is stored. */
export interface StatusFault {
  kind: 'status';
  status: 400 | 401 | 403 | 500 | 502 | 503 | 429;
  /** Extra headers, e.g. `Stripe-Should-Retry`, which the SDK obeys. */
  headers: Record<string, string>;
}

/**
 * A 500 that Stripe keeps: the request began executing (and carried its work out, or not), then
 * failed; the 500 is stored under its Idempotency-Key and replayed, with `Idempotent-Replayed:
 * true`, to every later request with that key, as Stripe does.
 */
export interface StoredFailureFault {
  kind: 'stored_failure';
  /** Whether the object was made before the failure (a PaymentIntent created, say). */
  processed: boolean;
}

/** Process the request (and store its idempotent answer), then destroy the socket without answering. */
export interface DropFault {
  kind: 'drop_after_processing';
}

export type Fault = StatusFault | StoredFailureFault | DropFault;

interface Armed {
  fault: Fault;
  method: string | undefined;
  path: string | RegExp;
  remaining: number;
}

/** Faults the tests arm; each matching request consumes one use of the first fault armed for it. */
export class FaultPlan {
  private armed: Armed[] = [];

  arm(fault: Fault, target: FaultTarget): void {
    this.armed.push({ fault, method: target.method, path: target.path, remaining: target.times ?? 1 });
  }

  /** Takes the next fault of `kind` that applies to this request, if any. */
  take<K extends Fault['kind']>(kind: K, method: string, path: string): Extract<Fault, { kind: K }> | null {
    const found = this.armed.find(
      (a) =>
        a.fault.kind === kind &&
        a.remaining > 0 &&
        (a.method === undefined || a.method === method) &&
        (typeof a.path === 'string' ? a.path === path : a.path.test(path)),
    );
    if (!found) return null;
    found.remaining -= 1;
    return found.fault as Extract<Fault, { kind: K }>;
  }

  clear(): void {
    this.armed = [];
  }
}

/** The bodies Stripe answers for these failures. */
export function faultBody(status: StatusFault['status']): { type: 'api_error' | 'invalid_request_error'; code?: string; message: string } {
  if (status === 401) {
    // What Stripe answers a revoked or rolled key (the SDK raises StripeAuthenticationError).
    return { type: 'invalid_request_error', message: 'Invalid API Key provided: sk_test_****oked' };
  }
  if (status === 403) {
    return { type: 'invalid_request_error', message: 'The provided key does not have the required permissions for this endpoint.' };
  }
  if (status === 400) {
    return { type: 'invalid_request_error', message: 'This request was refused (a fault armed by the test).' };
  }
  if (status === 429) {
    return {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message: 'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
    };
  }
  return { type: 'api_error', message: 'An unknown error occurred while processing your request.' };
}
