import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/**
 * Every environment variable the service reads, in one schema. The README's configuration table
 * is written from the descriptions here; `loadConfig` is the only reader of `process.env`.
 */
export const EnvSchema = Type.Object({
  NODE_ENV: Type.Union([Type.Literal('development'), Type.Literal('test'), Type.Literal('production')], {
    default: 'development',
    description: 'development, test or production.',
  }),
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9000, description: 'TCP port to listen on.' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Interface to bind.' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level.' },
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
    default: 30_000,
    description: 'How long a row may stay unresolved before the reconciler takes it from the request that wrote it.',
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
});

export type Env = Static<typeof EnvSchema>;

export interface Config {
  nodeEnv: Env['NODE_ENV'];
  port: number;
  host: string;
  logLevel: string;
  database: { url: string; schema: string | undefined; poolMax: number } | { dataDir: string };
  dataDir: string;
  paymentProcessor: Env['PAYMENT_PROCESSOR'];
  bodyLimitBytes: number;
  reconciler: { intervalMs: number; graceMs: number; leaseMs: number };
  idempotency: { ttlMs: number; waitMs: number; leaseMs: number };
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
  return `a ${schema.type}`;
}

export function parseEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const raw = normalizeEnv(env, EnvSchema);
  const value = Value.Convert(EnvSchema, Value.Default(EnvSchema, { ...raw }));
  const error = Value.Errors(EnvSchema, value).First();
  if (error) {
    const name = error.path.replace(/^\//, '').split('/')[0] ?? error.path;
    const propertySchema = EnvSchema.properties[name as keyof typeof EnvSchema.properties] as TSchema | undefined;
    const shown = raw[name] === undefined ? 'nothing' : JSON.stringify(raw[name]);
    const expected = propertySchema ? describeExpected(propertySchema) : error.message;
    throw new ConfigError(`Invalid configuration: ${name} must be ${expected} (got ${shown})`);
  }
  return value as Env;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL
      ? { url: e.DATABASE_URL, schema: e.DATABASE_SCHEMA, poolMax: e.DATABASE_POOL_MAX }
      : { dataDir: e.DATA_DIR },
    dataDir: e.DATA_DIR,
    paymentProcessor: e.PAYMENT_PROCESSOR,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    // The reconciler's lease outlives any processor call (its timeout and retries), so two instances never resolve one row at once.
    reconciler: { intervalMs: e.RECONCILE_INTERVAL_MS, graceMs: e.RECONCILE_GRACE_MS, leaseMs: 120_000 },
    idempotency: { ttlMs: e.IDEMPOTENCY_KEY_TTL_HOURS * 3_600_000, waitMs: e.IDEMPOTENCY_WAIT_MS, leaseMs: e.IDEMPOTENCY_LEASE_MS },
  };
}
