import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { createServices, type AppServices } from './app-services.js';
import { OwnershipChecker } from './auth/ownership.js';
import type { Principal } from './auth/principal.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import { needsDevelopmentSecret, type Config } from './config.js';
import { installAuth } from './http/plugins/auth.js';
import { registerDocs } from './http/plugins/docs.js';
import { installErrorHandler } from './http/plugins/error-handler.js';
import { installIdempotency } from './http/plugins/idempotency.js';
import { OneLinePerRequest, serializeRequest } from './http/plugins/request-log.js';
import { installValidators, refuseNulCharacters } from './http/plugins/validation.js';
import { customerRoutes } from './http/routes/customers.js';
import { healthRoutes } from './http/routes/health.js';
import { paymentIntentRoutes } from './http/routes/payment-intents.js';
import { paymentMethodRoutes } from './http/routes/payment-methods.js';
import { paymentListRoutes } from './http/routes/payment-lists.js';
import { refundRoutes } from './http/routes/refunds.js';
import { simulatedChallengeRoutes } from './http/routes/simulated-3ds.js';
import type { PaymentProcessor } from './processors/processor.js';
import { SimulatedProcessor } from './processors/simulated/simulated-processor.js';
import type { Database } from './store/database.js';

export interface AppDeps {
  db: Database;
  processor: PaymentProcessor;
}

/** Fields that must never reach a log line. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.client_secret',
  '*.clientSecret',
];

export function loggerOptions(config: Pick<Config, 'logLevel'>): FastifyServerOptions['logger'] {
  return { level: config.logLevel, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' }, serializers: { req: serializeRequest } };
}

/** Builds the HTTP application: plugins, routes and the one error handler. Tests use it through `inject`. */
export async function buildApp(
  config: Config,
  deps: AppDeps,
  options: { logger?: FastifyServerOptions['logger'] } = {},
): Promise<FastifyInstance> {
  if (needsDevelopmentSecret(config.auth)) {
    // Fail closed: an app that could verify no token would refuse everything, or worse, be wired open by mistake.
    throw new Error('buildApp needs JWT_SECRET or JWKS_URL in config.auth (the server supplies a development secret when both are unset)');
  }
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config),
    bodyLimit: config.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    ajv: undefined,
    ...(config.nodeEnv === 'development' ? { logController: new OneLinePerRequest() } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();

  installValidators(app);
  refuseNulCharacters(app);
  installErrorHandler(app);
  // Only JSON is spoken: anything else is 415 rather than a confusing validation error.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const services = createServices(deps.db, deps.processor, app.log, config);
  app.decorate('services', services);
  // Before the docs and the routes, so that every route they add is guarded or declared open.
  installAuth(app, {
    verifier: createTokenVerifier(config.auth),
    ownership: new OwnershipChecker(services.customers, services.payments),
    names: config.auth.names,
  });
  // After authentication: a refused request is never stored under its key, and keys belong to their caller.
  installIdempotency(app, {
    keys: services.idempotencyKeys,
    scopeOf: (request) => idempotencyScope(request.principal),
    leaseMs: config.idempotency.leaseMs,
    waitMs: config.idempotency.waitMs,
  });
  await registerDocs(app);
  await app.register(healthRoutes, { db: deps.db });
  await app.register(customerRoutes, { services });
  await app.register(paymentMethodRoutes, { services });
  await app.register(paymentIntentRoutes, { services });
  await app.register(refundRoutes, { services });
  await app.register(paymentListRoutes, { services });
  // Stripe hosts its own 3-D Secure page; the simulated processor's is served here, and only with it.
  if (deps.processor instanceof SimulatedProcessor) await app.register(simulatedChallengeRoutes, { challenges: deps.processor.challenges });
  app.addHook('onClose', () => services.reconciler.stop());
  return app;
}

/**
 * Whose idempotency keys these are: a service by its client, a user by its own id (a user token's
 * `azp` names the web app every user shares, so it must not scope keys); null for a token naming nobody.
 */
export function idempotencyScope(principal: Principal | null): string | null {
  if (!principal) return null;
  const id = principal.kind === 'service' ? (principal.clientId ?? principal.subject) : (principal.subject ?? principal.email);
  return id ? `${principal.kind}:${id}` : null;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The use cases and jobs, for the process entry (reconciler) and tests. */
    services: AppServices;
  }
}
