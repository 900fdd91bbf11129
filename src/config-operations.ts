import { Type, type Static } from '@sinclair/typebox';

/**
 * The variables of running the service in production: the metrics endpoint's token, how a
 * shutdown drains, and the two escape hatches that let a staging deploy run on make-believe parts.
 * Spread into the one schema in config.ts.
 */
export const OPERATIONS_ENV = {
  METRICS_TOKEN: Type.Optional(
    Type.String({ minLength: 16, secret: true, description: 'Bearer token GET /metrics requires (Authorization: Bearer ...). Unset: /metrics is open (keep it off the ingress).' }),
  ),
  SHUTDOWN_DRAIN_MS: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 120_000,
      description:
        'After SIGTERM, how long /ready answers 503 while the server still accepts, so load balancers stop sending before it stops listening. Default: 5000 in production, 0 otherwise (Ctrl-C stops at once).',
    }),
  ),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 600_000,
    default: 30_000,
    description: 'After the drain, how long in-flight requests may take to finish before the process exits regardless (the reconciler finishes what they leave).',
  }),
  ALLOW_SIMULATED_PROCESSOR: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true lets NODE_ENV=production run on PAYMENT_PROCESSOR=simulated, which charges nothing (staging only).',
  }),
  ALLOW_EMBEDDED_DATABASE: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true lets NODE_ENV=production run on the embedded database (no DATABASE_URL), which one instance alone can use (staging only).',
  }),
};

const OperationsEnv = Type.Object(OPERATIONS_ENV);

export interface OperationsConfig {
  /** Null: /metrics is open. */
  metricsToken: string | null;
  shutdown: { drainMs: number; timeoutMs: number };
  /** What production was allowed to run on against its rule, to be logged as a warning at every boot. */
  productionWarnings: string[];
}

/**
 * The operations settings of validated variables. In production the simulated processor and the
 * embedded database are refused, in one line naming each, unless explicitly allowed; so is a
 * missing DATA_ENCRYPTION_KEY, always.
 */
export function operationsConfig(
  e: Static<typeof OperationsEnv> & { NODE_ENV: string; PAYMENT_PROCESSOR: string; DATABASE_URL?: string | undefined; DATA_ENCRYPTION_KEY?: string | undefined },
  fail: (message: string) => never,
): OperationsConfig {
  const missing: string[] = [];
  const productionWarnings: string[] = [];
  if (e.NODE_ENV === 'production') {
    if (e.PAYMENT_PROCESSOR === 'simulated') {
      if (e.ALLOW_SIMULATED_PROCESSOR === 'true') {
        productionWarnings.push('NODE_ENV=production on the simulated processor (ALLOW_SIMULATED_PROCESSOR=true): no payment moves real money');
      } else {
        missing.push('PAYMENT_PROCESSOR=stripe with STRIPE_SECRET_KEY (the simulated processor charges nothing; ALLOW_SIMULATED_PROCESSOR=true for staging)');
      }
    }
    if (e.DATABASE_URL === undefined) {
      if (e.ALLOW_EMBEDDED_DATABASE === 'true') {
        productionWarnings.push('NODE_ENV=production on the embedded database (ALLOW_EMBEDDED_DATABASE=true): one instance only, data on this disk');
      } else {
        missing.push('DATABASE_URL (the embedded database serves one instance on one disk; ALLOW_EMBEDDED_DATABASE=true for staging)');
      }
    }
    // Personal data and forwarded tokens are kept sealed; a development key on one disk is no key for a fleet.
    if (e.DATA_ENCRYPTION_KEY === undefined) {
      missing.push('DATA_ENCRYPTION_KEY (names, emails and tokens are kept encrypted at rest; make one with: openssl rand -base64 32)');
    }
  }
  if (missing.length > 0) fail(`Refusing to start with NODE_ENV=production: set ${missing.join(' and ')}`);
  return {
    metricsToken: e.METRICS_TOKEN ?? null,
    shutdown: { drainMs: e.SHUTDOWN_DRAIN_MS ?? (e.NODE_ENV === 'production' ? 5000 : 0), timeoutMs: e.SHUTDOWN_TIMEOUT_MS },
    productionWarnings,
  };
}
