import { isIP } from 'node:net';
import { Type, type Static } from '@sinclair/typebox';

/**
 * The variables of the HTTP perimeter (TLS, proxies, CORS, rate limits, timeouts), spread into the
 * one schema in config.ts. Kept here so the settings of the edge read as one piece.
 */
export const PERIMETER_ENV = {
  TLS_CERT_FILE: Type.Optional(Type.String({ minLength: 1, description: 'PEM certificate chain; with TLS_KEY_FILE the service serves HTTPS only (TLS 1.2 or newer).' })),
  TLS_KEY_FILE: Type.Optional(Type.String({ minLength: 1, description: 'PEM private key of TLS_CERT_FILE. Both files are read again on SIGHUP.' })),
  TRUST_PROXY: Type.Optional(
    Type.String({
      pattern: '^[0-9A-Za-z.:/, ]+$',
      description: 'Whose X-Forwarded-For/-Proto/-Host count: true (any), a hop count, or proxy addresses/CIDRs (comma-separated). Unset: none.',
    }),
  ),
  CORS_ORIGINS: Type.Optional(
    Type.String({ pattern: '^\\S+$', description: 'Comma-separated browser origins (https://app.example.com) allowed to call the API. Unset: no CORS.' }),
  ),
  RATE_LIMIT_ENABLED: Type.Union([Type.Literal('true'), Type.Literal('false')], { default: 'true', description: 'Rate limits per caller.' }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000, description: 'The window the budgets are counted over.' }),
  RATE_LIMIT_READ_MAX: Type.Integer({ minimum: 1, default: 600, description: 'Reads (GET) one caller may make per window.' }),
  RATE_LIMIT_WRITE_MAX: Type.Integer({ minimum: 1, default: 120, description: 'Writes (POST, PUT, DELETE) one caller may make per window.' }),
  RATE_LIMIT_SERVICE_MULTIPLIER: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 10,
    description: 'Service tokens act for many customers (the order service pays for all of them): their budgets are this many times larger.',
  }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://\\S+$', description: 'Redis shared by every instance for the rate limits. Unset: each instance counts alone.' })),
  REDIS_KEY_PREFIX: Type.String({ minLength: 1, default: 'payment-service:rate-limit:', description: 'Prefix of the rate-limit keys in Redis.' }),
  HTTP_CONNECTION_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    default: 120_000,
    description: 'A connection idle this long is closed; above the longest answer (a payment with Stripe retries, about 60 s).',
  }),
  HTTP_HEADERS_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 15_000, description: 'Time a client has to send its request headers.' }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 30_000, description: 'Time a client has to send its whole request (headers and body).' }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({ minimum: 1000, default: 72_000, description: 'How long an idle keep-alive connection is kept; above the load balancer\'s.' }),
};

const PerimeterEnv = Type.Object(PERIMETER_ENV);

/** What the HTTP edge of the service is configured to do. */
export interface PerimeterConfig {
  /** Set: HTTPS only, from these files. Null: plain HTTP behind a terminating proxy. */
  tls: { certFile: string; keyFile: string } | null;
  /** Fastify's trustProxy: false, true, a hop count, or the trusted proxy addresses. */
  trustProxy: boolean | number | string[];
  corsOrigins: string[];
  rateLimit: {
    enabled: boolean;
    windowMs: number;
    readMax: number;
    writeMax: number;
    serviceMultiplier: number;
    redis: { url: string; keyPrefix: string } | null;
  };
  timeouts: { connectionMs: number; headersMs: number; requestMs: number; keepAliveMs: number };
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustProxy(value: string | undefined, fail: (message: string) => never): PerimeterConfig['trustProxy'] {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (isIP(address ?? '') === 6 ? 128 : 32));
    if (!PROXY_NAMES.has(entry) && (isIP(address ?? '') === 0 || !prefixOk || rest.length > 0)) {
      fail(`Invalid configuration: TRUST_PROXY must be true, a hop count, or addresses/CIDRs such as 10.0.0.0/8,loopback (got ${JSON.stringify(entry)})`);
    }
  }
  return entries;
}

function corsOrigins(value: string | undefined, fail: (message: string) => never): string[] {
  if (value === undefined) return [];
  return value.split(',').filter((entry) => entry !== '').map((entry) => {
    let origin: string | null = null;
    try {
      origin = new URL(entry).origin;
    } catch {
      // Reported below.
    }
    // An origin is scheme://host[:port] exactly; a path or a wildcard would never match what a browser sends.
    if (origin === null || origin === 'null' || origin !== entry.replace(/\/$/, '')) {
      fail(`Invalid configuration: CORS_ORIGINS must be origins such as https://app.example.com, comma-separated (got ${JSON.stringify(entry)})`);
    }
    return origin;
  });
}

/** The perimeter settings of validated variables; `fail` throws the configuration error of config.ts. */
export function perimeterConfig(e: Static<typeof PerimeterEnv>, fail: (message: string) => never): PerimeterConfig {
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    fail('Invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE go together (set both to serve HTTPS, or neither behind a TLS-terminating proxy)');
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    fail(`Invalid configuration: HTTP_HEADERS_TIMEOUT_MS (${e.HTTP_HEADERS_TIMEOUT_MS}) must not exceed HTTP_REQUEST_TIMEOUT_MS (${e.HTTP_REQUEST_TIMEOUT_MS})`);
  }
  return {
    tls: e.TLS_CERT_FILE && e.TLS_KEY_FILE ? { certFile: e.TLS_CERT_FILE, keyFile: e.TLS_KEY_FILE } : null,
    trustProxy: trustProxy(e.TRUST_PROXY, fail),
    corsOrigins: corsOrigins(e.CORS_ORIGINS, fail),
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED === 'true',
      windowMs: e.RATE_LIMIT_WINDOW_MS,
      readMax: e.RATE_LIMIT_READ_MAX,
      writeMax: e.RATE_LIMIT_WRITE_MAX,
      serviceMultiplier: e.RATE_LIMIT_SERVICE_MULTIPLIER,
      redis: e.REDIS_URL ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : null,
    },
    timeouts: {
      connectionMs: e.HTTP_CONNECTION_TIMEOUT_MS,
      headersMs: e.HTTP_HEADERS_TIMEOUT_MS,
      requestMs: e.HTTP_REQUEST_TIMEOUT_MS,
      keepAliveMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
  };
}
