import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { AccessNames } from './auth/access-rules.js';
import { DELIVERY_ENV, deliveryConfig, type DeliveryConfig } from './config-delivery.js';
import { NOTIFICATIONS_ENV, notificationsConfig, type NotificationsConfig } from './config-notifications.js';
import { OPERATIONS_ENV, operationsConfig, type OperationsConfig } from './config-operations.js';
import { PERIMETER_ENV, perimeterConfig, type PerimeterConfig } from './config-perimeter.js';
import { WEBHOOK_ENV, webhookConfig, type WebhookConfig } from './config-webhooks.js';

/**
 * Every environment variable the service reads, in one schema. The README's configuration table
 * is written from the descriptions here; `loadConfig` is the only reader of `process.env`.
 */
const nameOf = (description: string, value: string) => Type.String({ pattern: '^\\S+$', default: value, description });

/** Authentication: see README "Authentication". Lists (issuers, audiences) are comma-separated. */
const AUTH_ENV = {
  AUTH_MODE: Type.Union([Type.Literal('auto'), Type.Literal('required')], {
    default: 'auto',
    description:
      'auto: without JWT_SECRET and JWKS_URL (and not in production) a development secret is created under DATA_DIR. ' +
      'required: JWT_SECRET or JWKS_URL must be set, as always with NODE_ENV=production.',
  }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 16, secret: true, description: 'Shared secret of the user tokens (HS256), as the Auth Service signs them.' })),
  JWT_ISSUER: Type.String({ minLength: 1, default: 'CommuneDrop', description: 'Accepted iss of user tokens.' }),
  JWT_AUDIENCE: Type.String({ minLength: 1, default: 'CommuneDropAudience', description: 'Accepted aud of user tokens.' }),
  JWKS_URL: Type.Optional(
    Type.String({ pattern: '^https?://\\S+$', description: 'The Auth Service\'s key set, for service tokens (RS256/ES256).' }),
  ),
  SERVICE_JWT_ISSUER: Type.Optional(Type.String({ minLength: 1, description: 'Accepted iss of service tokens. Default: JWT_ISSUER.' })),
  SERVICE_JWT_AUDIENCE: Type.Optional(Type.String({ minLength: 1, description: 'Accepted aud of service tokens. Default: JWT_AUDIENCE.' })),
  JWKS_REFRESH_COOLDOWN_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 3600,
    default: 30,
    description: 'Least time between two fetches of the key set caused by an unknown kid.',
  }),
  JWT_CLOCK_TOLERANCE_SECONDS: Type.Integer({ minimum: 0, maximum: 300, default: 30, description: 'Clock skew allowed on exp and nbf.' }),
  AUTH_ROLE_ADMIN: nameOf('Role that passes every rule.', 'admin'),
  AUTH_SCOPE_READ: nameOf('Scope that reads everything.', 'payment.read'),
  AUTH_SCOPE_WRITE: nameOf('Scope that creates customers, saves cards, charges, refunds.', 'payment.write'),
  AUTH_SCOPE_ORDER: nameOf('Scope of the order service\'s token, accepted for charging.', 'order.write'),
};

export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
    description: 'development, test or production.',
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9000, description: 'TCP port to listen on.' }),
  HOST: Type.Optional(
    Type.String({ minLength: 1, description: 'Interface to bind. Default: 0.0.0.0, or 127.0.0.1 while the development secret is in use.' }),
  ),
  PUBLIC_URL: Type.Optional(
    Type.String({
      pattern: '^https?://[^\\s/?#]+/?$',
      description: 'How clients reach the service (scheme://host[:port]), for the links it answers (the simulated 3-D Secure page). Default: http://localhost:PORT.',
    }),
  ),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level.' },
  ),
  LOG_FORMAT: Type.Optional(
    Type.Union([Type.Literal('pretty'), Type.Literal('json')], {
      description: 'pretty (pino-pretty, a development dependency) or json. Default: pretty on a terminal outside production, json otherwise.',
    }),
  ),
  DATABASE_URL: Type.Optional(
    Type.String({
      pattern: '^postgres(ql)?://',
      description: 'PostgreSQL connection string. Unset: the embedded PostgreSQL (PGlite) under DATA_DIR.',
    }),
  ),
  DATABASE_SCHEMA: Type.Optional(
    Type.String({
      pattern: '^[a-z_][a-z0-9_]{0,62}$',
      description: 'PostgreSQL schema to use (created if missing). Default: the connection\'s search_path.',
    }),
  ),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 200, default: 10, description: 'Connections in the pool.' }),
  DATA_DIR: Type.String({
    minLength: 1,
    default: './data',
    description: 'Where the embedded database (and the development secret) live when DATABASE_URL is unset.',
  }),
  PAYMENT_PROCESSOR: Type.Union([Type.Literal('simulated'), Type.Literal('stripe')], {
    default: 'simulated',
    description: 'simulated: in-process, Stripe test-mode behaviour, state in the same database. stripe: the Stripe API.',
  }),
  RECONCILE_INTERVAL_MS: Type.Integer({
    minimum: 0,
    default: 30_000,
    description: 'How often the reconciler looks for payments and refunds whose outcome is unknown (0: only at boot).',
  }),
  RECONCILE_GRACE_MS: Type.Integer({
    minimum: 0,
    // Longer than one processor call with its retries (Stripe: 3 × 20 s), so a live request is not raced.
    default: 120_000,
    description: 'How long a row may stay unresolved before the reconciler takes it from the request that wrote it.',
  }),
  RECONCILE_REFUND_WATCH_DAYS: Type.Integer({
    minimum: 0,
    maximum: 365,
    default: 30,
    description: 'How long after its creation a succeeded refund is still asked about, because the processor may fail it later (0: never).',
  }),
  RECONCILE_REFUND_RECHECK_MS: Type.Integer({
    minimum: 0,
    default: 6 * 3_600_000,
    description: 'How often the reconciler asks the processor again about one such refund.',
  }),
  IDEMPOTENCY_KEY_TTL_HOURS: Type.Integer({
    minimum: 24,
    maximum: 24 * 30,
    default: 24,
    description: 'How long an Idempotency-Key and its answer are remembered.',
  }),
  IDEMPOTENCY_WAIT_MS: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 10_000,
    description: 'How long a retry waits for the first request with its key to finish before answering 409.',
  }),
  IDEMPOTENCY_LEASE_MS: Type.Integer({
    minimum: 100,
    default: 120_000,
    description: 'How long a request holds its Idempotency-Key; a retry after this takes over a key whose request died.',
  }),
  BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1024,
    maximum: 10 * 1024 * 1024,
    default: 64 * 1024,
    description: 'Largest request body accepted; larger bodies get 413.',
  }),
  STRIPE_SECRET_KEY: Type.Optional(
    Type.String({ secret: true, description: 'Stripe secret (sk_...) or restricted (rk_...) key. Required when PAYMENT_PROCESSOR=stripe; never shown.' }),
  ),
  STRIPE_API_BASE: Type.Optional(
    Type.String({
      pattern: '^https?://',
      description: 'Where the Stripe SDK sends its requests (scheme://host:port, e.g. stripe-mock). Unset: Stripe itself.',
    }),
  ),
  STRIPE_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 120_000,
    default: 20_000,
    description: 'How long one request to Stripe may take before it is abandoned (and retried).',
  }),
  STRIPE_MAX_NETWORK_RETRIES: Type.Integer({
    minimum: 0,
    maximum: 5,
    default: 2,
    description: 'Retries of a failed request to Stripe (connection errors, 409, 5xx), with the same idempotency key.',
  }),
  ...AUTH_ENV,
  ...WEBHOOK_ENV,
  ...PERIMETER_ENV,
  ...NOTIFICATIONS_ENV,
  ...OPERATIONS_ENV,
  ...DELIVERY_ENV,
});

export type Env = Static<typeof EnvSchema>;

export interface Config extends PerimeterConfig, NotificationsConfig, OperationsConfig, DeliveryConfig {
  nodeEnv: Env['NODE_ENV'];
  port: number;
  host: string;
  /** False when HOST is unset and `host` is the default, which the development secret narrows to loopback. */
  hostExplicit: boolean;
  /** PUBLIC_URL without a trailing slash; null: http://localhost:<the port bound>. */
  publicUrl: string | null;
  logLevel: string;
  /** LOG_FORMAT; null: decided by the terminal (see src/logging.ts). */
  logFormat: 'pretty' | 'json' | null;
  database: { url: string; schema: string | undefined; poolMax: number } | { dataDir: string };
  dataDir: string;
  paymentProcessor: Env['PAYMENT_PROCESSOR'];
  bodyLimitBytes: number;
  reconciler: { intervalMs: number; graceMs: number; leaseMs: number; refundWatchMs: number; refundRecheckMs: number };
  idempotency: { ttlMs: number; waitMs: number; leaseMs: number };
  /** Set exactly when PAYMENT_PROCESSOR=stripe. */
  stripe: StripeSettings | null;
  auth: AuthConfig;
  /** The processor's events: STRIPE_WEBHOOK_SECRET and the simulated processor's delivery. */
  webhooks: WebhookConfig;
}

/** How bearer tokens are checked and what the access rules call their roles and scopes. */
export interface AuthConfig {
  /** Production or AUTH_MODE=required: no development secret, ever. */
  required: boolean;
  /** HS256 user tokens; `secret` unset means none are accepted (until a development secret is supplied at boot). */
  userTokens: { secret: string | undefined; issuer: string[]; audience: string[] };
  /** RS256/ES256 service tokens from the Auth Service's JWKS; null when JWKS_URL is unset. */
  serviceTokens: { jwksUrl: string; issuer: string[]; audience: string[]; refreshCooldownSeconds: number } | null;
  clockToleranceSeconds: number;
  names: AccessNames;
}

/** Neither kind of token is configured: only a development secret can make the service usable. */
export function needsDevelopmentSecret(auth: AuthConfig): boolean {
  return auth.userTokens.secret === undefined && auth.serviceTokens === null;
}

/** How the Stripe processor reaches Stripe. */
export interface StripeSettings {
  secretKey: string;
  /** A Stripe-compatible server (stripe-mock, a test server); null means Stripe itself. */
  apiBase: URL | null;
  timeoutMs: number;
  maxNetworkRetries: number;
}

/** A value as it may be shown: a URL's password (a connection string's) is a secret too. */
function withoutPassword(value: string): string {
  if (!value.includes('@')) return value;
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.href;
  } catch {
    return '(a value with an @ that is not a URL; not shown)';
  }
}

/** A configuration problem, stated in one line that names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Trims every value (mounted secrets end in a newline) and treats an empty value as unset. */
function normalizeEnv(env: NodeJS.ProcessEnv, schema: TSchema & { properties: Record<string, TSchema> }) {
  const out: Record<string, string> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key]?.trim();
    if (value !== undefined && value !== '') out[key] = value;
  }
  return out;
}

function describeExpected(schema: TSchema): string {
  if (Array.isArray(schema.anyOf)) return `one of ${schema.anyOf.map((s: TSchema) => s.const).join(', ')}`;
  if (schema.type === 'integer') {
    return `an integer from ${schema.minimum ?? '-∞'} to ${schema.maximum ?? '∞'}`;
  }
  if (schema.pattern) return `a value matching ${schema.pattern}`;
  if (schema.minLength > 1) return `a string of at least ${schema.minLength} characters`;
  return `a ${schema.type}`;
}

export function parseEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const raw = normalizeEnv(env, EnvSchema);
  const value = Value.Convert(EnvSchema, Value.Default(EnvSchema, { ...raw }));
  const error = Value.Errors(EnvSchema, value).First();
  if (error) {
    const name = error.path.replace(/^\//, '').split('/')[0] ?? error.path;
    const propertySchema = EnvSchema.properties[name as keyof typeof EnvSchema.properties] as TSchema | undefined;
    // A secret's value never reaches the terminal or the logs; its length is enough to see what is wrong.
    const shown =
      raw[name] === undefined
        ? 'nothing'
        : propertySchema?.secret
          ? `${raw[name].length} characters`
          : JSON.stringify(withoutPassword(raw[name]));
    const expected = propertySchema ? describeExpected(propertySchema) : error.message;
    throw new ConfigError(`Invalid configuration: ${name} must be ${expected} (got ${shown})`);
  }
  return value as Env;
}

const list = (value: string) => value.split(',').map((item) => item.trim()).filter((item) => item !== '');

function authConfig(e: Env): AuthConfig {
  const required = e.NODE_ENV === 'production' || e.AUTH_MODE === 'required';
  const auth: AuthConfig = {
    required,
    userTokens: { secret: e.JWT_SECRET, issuer: list(e.JWT_ISSUER), audience: list(e.JWT_AUDIENCE) },
    serviceTokens: e.JWKS_URL
      ? {
          jwksUrl: e.JWKS_URL,
          issuer: list(e.SERVICE_JWT_ISSUER ?? e.JWT_ISSUER),
          audience: list(e.SERVICE_JWT_AUDIENCE ?? e.JWT_AUDIENCE),
          refreshCooldownSeconds: e.JWKS_REFRESH_COOLDOWN_SECONDS,
        }
      : null,
    clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
    names: { adminRole: e.AUTH_ROLE_ADMIN, readScope: e.AUTH_SCOPE_READ, writeScope: e.AUTH_SCOPE_WRITE, orderScope: e.AUTH_SCOPE_ORDER },
  };
  if (required && needsDevelopmentSecret(auth)) {
    const why = e.NODE_ENV === 'production' ? 'NODE_ENV=production' : 'AUTH_MODE=required';
    throw new ConfigError(`Authentication is not configured: set JWT_SECRET (user tokens) and/or JWKS_URL (service tokens); ${why} refuses to start without them`);
  }
  return auth;
}

const fail = (message: string): never => {
  throw new ConfigError(message);
};

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST ?? '0.0.0.0',
    hostExplicit: e.HOST !== undefined,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, '') ?? null,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? null,
    database: e.DATABASE_URL
      ? { url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA, poolMax: e.DATABASE_POOL_MAX }
      : { dataDir: e.DATA_DIR },
    dataDir: e.DATA_DIR,
    paymentProcessor: e.PAYMENT_PROCESSOR,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    // The reconciler's lease outlives any processor call (its timeout and retries), so two instances never resolve one row at once.
    reconciler: {
      intervalMs: e.RECONCILE_INTERVAL_MS,
      graceMs: e.RECONCILE_GRACE_MS,
      leaseMs: 120_000,
      refundWatchMs: e.RECONCILE_REFUND_WATCH_DAYS * 86_400_000,
      refundRecheckMs: e.RECONCILE_REFUND_RECHECK_MS,
    },
    idempotency: { ttlMs: e.IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000, waitMs: e.IDEMPOTENCY_WAIT_MS, leaseMs: e.IDEMPOTENCY_LEASE_MS },
    stripe: e.PAYMENT_PROCESSOR === 'stripe' ? stripeSettings(e) : null,
    auth: authConfig(e),
    webhooks: webhookConfig(e, fail),
    ...perimeterConfig(e, fail),
    ...notificationsConfig(e, fail),
    ...operationsConfig(e, fail),
    ...deliveryConfig(e, fail),
  };
}

function stripeSettings(e: Env): StripeSettings {
  const key = e.STRIPE_SECRET_KEY;
  if (key === undefined) {
    throw new ConfigError('Invalid configuration: STRIPE_SECRET_KEY is required when PAYMENT_PROCESSOR=stripe (a secret key sk_... or a restricted key rk_...)');
  }
  // The key itself is never echoed: a wrong value may still be a real secret pasted in the wrong place.
  if (!/^(sk|rk)_[A-Za-z0-9_]+$/.test(key)) {
    const hint = key.startsWith('pk_') ? '; pk_ is a publishable key, which cannot charge' : '';
    throw new ConfigError(
      `Invalid configuration: STRIPE_SECRET_KEY must be a Stripe secret key (sk_...) or restricted key (rk_...)${hint} (the value is not shown)`,
    );
  }
  return {
    secretKey: key,
    apiBase: e.STRIPE_API_BASE ? stripeApiBase(e.STRIPE_API_BASE) : null,
    timeoutMs: e.STRIPE_TIMEOUT_MS,
    maxNetworkRetries: e.STRIPE_MAX_NETWORK_RETRIES,
  };
}

/** The SDK takes a protocol, host and port only: a base with a path would silently lose it. */
function stripeApiBase(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`Invalid configuration: STRIPE_API_BASE must be a URL like http://127.0.0.1:12111 (got ${JSON.stringify(value)})`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      `Invalid configuration: STRIPE_API_BASE must be scheme://host:port without a path, query or credentials (got ${JSON.stringify(`${url.protocol}//${url.host}${url.pathname}`)})`,
    );
  }
  return url;
}
