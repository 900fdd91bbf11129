import type { FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import { containsCardNumber, isCardFieldName, maskCardNumbers } from '../domain/card-data.js';

/** Names whose values never reach a log line, at whatever depth of a logged object (up to three levels). */
const SENSITIVE_KEYS = [
  'authorization', 'cookie', 'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token', 'idToken', 'id_token',
  'bearerToken', 'secret', 'clientSecret', 'client_secret', 'password', 'apiKey', 'api_key', 'secretKey', 'secret_key',
  'cardholder', 'cardholderName', 'cardholder_name', 'customerName', 'customer_name', 'fullName', 'full_name',
];

/** Fields that must never reach a log line (pino redaction paths). */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  ...SENSITIVE_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
];

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
    redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
    serializers: { req: requestSerializer as never },
  };
}
