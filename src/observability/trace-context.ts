import { randomBytes } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` header a caller
 * sends is kept when it is well formed, logged beside the request id, and sent on to the peers
 * called while serving the request; a malformed one is ignored, as the specification asks.
 */
export interface TraceContext {
  /** The header's four fields (lower case; a later version's extra fields dropped), to log and pass on. */
  traceparent: string;
  traceId: string;
  parentId: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The trace context of a `traceparent` header, or null when absent or not valid. */
export function parseTraceparent(header: string | string[] | undefined): TraceContext | null {
  if (typeof header !== 'string') return null;
  const value = header.trim().toLowerCase();
  const match = TRACEPARENT.exec(value);
  if (!match) return null;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  // Version ff is forbidden; version 00 has exactly four fields; all-zero ids are invalid.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return null;
  return { traceparent: `${version}-${traceId}-${parentId}-${flags}`, traceId, parentId };
}

/**
 * The header for a call made on behalf of `traceparent`: the same trace and flags, a new span id
 * of ours as the parent, so the peer's work hangs under this service's call in the trace.
 */
export function childTraceparent(traceparent: string, spanId: string = randomBytes(8).toString('hex')): string {
  const [, traceId, , flags] = traceparent.split('-') as [string, string, string, string];
  // Sent as version 00, the one this service speaks, whatever version it received.
  return `00-${traceId}-${spanId}-${flags.slice(0, 2)}`;
}
