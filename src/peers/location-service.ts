import { childTraceparent } from '../observability/trace-context.js';
import { AppError } from '../errors.js';

/** A trip as the Location Service measures it. */
export interface TripDistance {
  distanceKm: number;
  /** Its estimate of the ride; null when it gave none this service can read. */
  durationMinutes: number | null;
}

export interface PeerCallOptions {
  baseUrl: string;
  timeoutMs: number;
}

/**
 * The Location Service's one call we make: POST {base}/matrix {fromAddress, toAddress}. Knows HTTP
 * and the contract's answer, nothing of fares: anything but a usable non-negative distance is 503
 * `dependency_unavailable` saying what went wrong, never a guessed distance.
 */
export class LocationServiceClient {
  constructor(private readonly options: PeerCallOptions) {}

  /** `traceparent`: the caller's trace, which the call continues as a span of its own. */
  async matrix(fromAddress: string, toAddress: string, token: string | null, traceparent?: string | undefined): Promise<TripDistance> {
    const body = await callPeer('The Location Service', `${this.options.baseUrl}/matrix`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(traceparent ? { traceparent: childTraceparent(traceparent) } : {}),
      },
      body: JSON.stringify({ fromAddress, toAddress }),
    }, this.options.timeoutMs);
    const distance = (body as { distanceKm?: unknown } | null)?.distanceKm;
    if (typeof distance !== 'number' || !Number.isFinite(distance) || distance < 0) {
      throw unavailable(`The Location Service answered no usable distance (distanceKm ${shown(distance)}); no fee is quoted without one`);
    }
    return { distanceKm: distance, durationMinutes: minutesOf((body as { durationMinutes?: unknown }).durationMinutes) };
  }
}

/** The contract says durationMinutes is a string ("25", sometimes "25 mins"): its leading number, if any. */
function minutesOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  if (typeof value !== 'string') return null;
  const match = /^\s*(\d+(?:\.\d+)?)/.exec(value);
  return match ? Number(match[1]) : null;
}

/**
 * One JSON call to a peer, bounded by `timeoutMs`: answers the parsed body of a 2xx, and turns a
 * refusal, a timeout, an error status or a body that is not JSON into 503 `dependency_unavailable`.
 */
export async function callPeer(name: string, url: string, init: RequestInit, timeoutMs: number): Promise<unknown> {
  let response: Response;
  let text: string;
  const signal = AbortSignal.timeout(timeoutMs);
  for (let attempt = 1; ; attempt += 1) {
    try {
      response = await fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers }, signal });
      text = await response.text();
      break;
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      // A kept-alive connection the peer closed meanwhile says nothing of the peer: these calls are
      // reads, so one more try, on a fresh connection and within the same time bound, tells.
      if (!timedOut && attempt === 1 && STALE_CONNECTION.has(causeOf(error))) continue;
      throw unavailable(timedOut ? `${name} did not answer within ${timeoutMs} ms` : `${name} cannot be reached (${causeOf(error)})`);
    }
  }
  if (response.status < 200 || response.status > 299) {
    throw unavailable(`${name} answered ${response.status}${response.status === 401 || response.status === 403 ? ' (it refused our token)' : ''}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw unavailable(`${name} answered something that is not JSON`);
  }
}

const STALE_CONNECTION = new Set(['UND_ERR_SOCKET', 'ECONNRESET']);

export function unavailable(message: string): AppError {
  return new AppError('dependency_unavailable', message);
}

function shown(value: unknown): string {
  return value === undefined ? 'missing' : JSON.stringify(value)?.slice(0, 40) ?? String(value);
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
