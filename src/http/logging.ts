import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import { containsCardNumber, isCardFieldName, maskCardNumbers } from '../domain/card-data.js';

/** Names whose values never reach a log line, at whatever depth of a logged object (up to three levels: redactSensitive). */
const SENSITIVE_KEYS = [
  'authorization', 'cookie', 'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'idToken', 'id_token',
  'bearerToken', 'secret', 'clientSecret', 'client_secret', 'password', 'apiKey', 'api_key', 'secretKey', 'secret_key',
  'cardholder', 'cardholderName', 'cardholder_name', 'customerName', 'customer_name', 'fullName', 'full_name',
];

/** Header names whose values never reach a log line either, wherever a headers object is logged. */
const SENSITIVE_HEADERS = ['set-cookie', 'idempotency-key'];

const SENSITIVE = new Set([...SENSITIVE_KEYS, ...SENSITIVE_HEADERS]);
const REDACTED = '[redacted]';
const REDACT_DEPTH = 3;
/** Top-level keys that their serializers make safe (requestSerializer; Fastify's reply: the status code): not walked. */
const SERIALIZED_SAFE = new Set(['req', 'res']);

/** A copy of `value` that can be changed: an array, or an object with the same prototype and properties (an Error keeps its message and stack). */
function shallowCopy(value: object): Record<string, unknown> {
  return Array.isArray(value) ? (value.slice() as never) : Object.create(Object.getPrototypeOf(value), Object.getOwnPropertyDescriptors(value));
}

/**
 * A logged object with the values of sensitive keys (SENSITIVE_KEYS, SENSITIVE_HEADERS) replaced,
 * to three levels deep; only the objects on the way to a replaced value are copied, nothing the
 * caller holds is changed. One walk over the object's own keys, where pino's path redaction tried
 * each of some ninety wildcard paths on every line.
 */
export function redactSensitive(value: unknown, depth = 1): unknown {
  if (value === null || typeof value !== 'object' || depth > REDACT_DEPTH) return value;
  let copy: Record<string, unknown> | null = null;
  for (const key of Object.keys(value)) {
    if (depth === 1 && SERIALIZED_SAFE.has(key)) continue;
    const inner = (value as Record<string, unknown>)[key];
    const next = SENSITIVE.has(key) ? (inner === undefined ? inner : REDACTED) : redactSensitive(inner, depth + 1);
    if (next === inner) continue;
    copy ??= shallowCopy(value);
    Object.defineProperty(copy, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? value;
}

/** Query parameters whose values are credentials (the simulated 3-D Secure page's challenge): never in a log line. */
const SECRET_QUERY_PARAMETERS = new Set(['challenge']);

/** Percent-decoding that never fails: an escape that is not UTF-8 becomes a space, so digits glued to it stand apart. */
function decoded(text: string): string {
  return text.replace(/\+/g, ' ').replace(/(%[0-9A-Fa-f]{2})+/g, (escapes) => {
    try {
      return decodeURIComponent(escapes);
    } catch {
      return ' ';
    }
  });
}

/**
 * One part of a URL (a path, a query key or value) as it may be logged: as sent, unless its decoded
 * text holds a card number, which is then masked and the part re-encoded. Decoded text is never
 * logged as such: an escaped line break would forge a log line.
 */
function loggablePart(raw: string): string {
  const text = decoded(raw);
  return containsCardNumber(text) ? maskCardNumbers(text).replace(/[\u0000-\u001f\u007f]/g, encodeURIComponent) : raw;
}

/**
 * The URL as it may be logged: card numbers masked in the path and the query, the value of a
 * query field named like card data removed (such a request is refused, but its access line is
 * written first), and the values of secret query parameters replaced.
 */
export function loggableUrl(url: string): string {
  const cut = url.indexOf('?');
  const path = loggablePart(cut === -1 ? url : url.slice(0, cut));
  if (cut === -1) return path;
  const query = url
    .slice(cut + 1)
    .split('&')
    .map((pair) => {
      const [key = '', ...value] = pair.split('=');
      if (isCardFieldName(decoded(key))) return `${key}=[removed]`;
      if (SECRET_QUERY_PARAMETERS.has(decoded(key))) return `${key}=[redacted]`;
      return value.length === 0 ? loggablePart(key) : `${loggablePart(key)}=${loggablePart(value.join('='))}`;
    })
    .join('&');
  return `${path}?${query}`;
}

/** Fastify's request line, with the URL made safe to log. */
export function requestSerializer(request: FastifyRequest) {
  return {
    method: request.method,
    url: loggableUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** pino for the service: the level, redaction of secrets and names, request lines without card data. */
export function loggerOptions(config: Pick<Config, 'logLevel'>): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    formatters: { log: (object) => redactSensitive(object) as Record<string, unknown> },
    serializers: { req: requestSerializer as never },
  };
}
