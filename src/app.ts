import { randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { createServices, type AppServices } from './app-services.js';
import { OwnershipChecker } from './auth/ownership.js';
import { callerKey, type Principal } from './auth/principal.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import { needsDevelopmentSecret, type Config } from './config.js';
import { containsCardNumber } from './domain/card-data.js';
import { AppError } from './errors.js';
import { installAuth } from './http/plugins/auth.js';
import { registerDocs } from './http/plugins/docs.js';
import { installErrorHandler } from './http/plugins/error-handler.js';
import { installIdempotency } from './http/plugins/idempotency.js';
import { installMetrics, METRICS_PATH } from './http/plugins/metrics.js';
import { OneLinePerRequest } from './http/plugins/request-log.js';
import { loggerOptions } from './http/logging.js';
import { clientErrorHandler, frameworkErrors, MAX_PARAM_LENGTH } from './http/plugins/framework-answers.js';
import { documentPerimeterAnswers } from './http/plugins/perimeter-docs.js';
import { installRateLimits } from './http/plugins/rate-limits.js';
import { contextualLogger, installRequestContext } from './http/plugins/request-context.js';
import { installRequestScreening } from './http/plugins/request-screening.js';
import { installSecurityHeaders } from './http/plugins/security-headers.js';
import { installValidators } from './http/plugins/validation.js';
import { readTlsOptions } from './http/tls.js';
import { auditEntryOf, installAuditLog } from './http/plugins/audit.js';
import { adminAuditRoutes } from './http/routes/admin-audit.js';
import { adminOutboxRoutes } from './http/routes/admin-outbox.js';
import { adminConsoleRoutes } from './http/routes/admin-console.js';
import { installConsole } from './http/plugins/console.js';
import { ConsoleReadsRepository } from './store/console-reads-repository.js';
import { AuditLogRepository } from './store/audit-log-repository.js';
import { customerRoutes } from './http/routes/customers.js';
import { healthRoutes } from './http/routes/health.js';
import { paymentIntentRoutes } from './http/routes/payment-intents.js';
import { paymentMethodRoutes } from './http/routes/payment-methods.js';
import { paymentListRoutes } from './http/routes/payment-lists.js';
import { refundRoutes } from './http/routes/refunds.js';
import { simulatedChallengeRoutes } from './http/routes/simulated-3ds.js';
import { simulatedConfirmRoutes } from './http/routes/simulated-confirm.js';
import { webhookRoutes } from './http/routes/webhooks.js';
import { ServiceMetrics } from './observability/metrics.js';
import { Readiness } from './observability/readiness.js';
import { parseTraceparent, type TraceContext } from './observability/trace-context.js';
import { instrumentProcessor } from './processors/instrumented.js';
import { deliveryEventRoutes } from './http/routes/delivery-events.js';
import { deliveryFeeRoutes } from './http/routes/delivery-fees.js';
import type { PaymentProcessor } from './processors/processor.js';
import { SimulatedProcessor } from './processors/simulated/simulated-processor.js';
import type { Database } from './store/database.js';
import { OutboxRepository } from './store/outbox-repository.js';

const ANSWERED_WHILE_STARTING = new Set(['/health', '/payment/health', '/ready', '/payment/ready', METRICS_PATH]);

export interface AppDeps {
  db: Database;
  processor: PaymentProcessor;
  /** What /ready reports of the process's life; default: serving from the start (tests). */
  readiness?: Readiness;
  /** The clock of payments, quotes and the authorization watchdog (tests move it); default: the system's. */
  now?: () => Date;
}

export { loggerOptions } from './http/logging.js';

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
  const serverOptions: FastifyServerOptions = {
    logger: options.logger ?? loggerOptions(config),
    bodyLimit: config.bodyLimitBytes,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      // A client's id is kept for tracing, unless it could carry a card number into every log line.
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) && !containsCardNumber(given) ? given : randomUUID();
    },
    ajv: undefined,
    // Fastify takes a hop count too; its types only list the other forms.
    trustProxy: config.trustProxy as FastifyServerOptions['trustProxy'],
    connectionTimeout: config.timeouts.connectionMs,
    keepAliveTimeout: config.timeouts.keepAliveMs,
    requestTimeout: config.timeouts.requestMs,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    clientErrorHandler,
    // Every line of a request carries the caller's trace beside the request id (reqId).
    childLoggerFactory: (logger, bindings, childOptions, rawRequest) => {
      const trace = parseTraceparent(rawRequest.headers.traceparent);
      return logger.child(trace ? { ...bindings, traceId: trace.traceId, traceparent: trace.traceparent } : bindings, childOptions);
    },
    ...(config.nodeEnv === 'development' ? { logController: new OneLinePerRequest() } : {}),
  };
  // Slow clients are looked for every second (Node's default: 30 s), so a timeout is kept to the second.
  const nodeServerOptions = { headersTimeout: config.timeouts.headersMs, connectionsCheckingInterval: 1000 };
  // With TLS files the server is an HTTPS server (a subclass of the HTTP one); plain HTTP is never served beside it.
  const app = Fastify({
    ...serverOptions,
    ...(config.tls ? { https: { ...readTlsOptions(config.tls), ...nodeServerOptions } } : { http: nodeServerOptions }),
  } as FastifyServerOptions).withTypeProvider<TypeBoxTypeProvider>();

  installRequestContext(app);
  const readiness = deps.readiness ?? new Readiness('serving');
  // While the service starts (migrations, the boot reconciliation) only the probes and the scrape answer.
  app.addHook('onRequest', async (request) => {
    if (readiness.phase === 'starting' && !ANSWERED_WHILE_STARTING.has(request.routeOptions.url ?? '')) {
      throw new AppError('service_unavailable', 'The service is starting; retry in a moment');
    }
  });
  installValidators(app);
  installErrorHandler(app);
  // Only JSON is spoken: anything else is 415 rather than a confusing validation error.
  app.removeContentTypeParser('text/plain');
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Shutting down: the client's next request opens a connection elsewhere (the load balancer's choice).
    if (readiness.phase === 'stopping') reply.header('connection', 'close');
  });
  await installSecurityHeaders(app, config.corsOrigins);
  documentPerimeterAnswers(app, { rateLimited: config.rateLimit.enabled });
  // Before validation, ownership, idempotency and the handlers: card data and hostile shapes never get further.
  installRequestScreening(app);
  const throttle = await installRateLimits(app, config.rateLimit);

  const metrics = new ServiceMetrics({ db: deps.db, outbox: new OutboxRepository(deps.db) });
  // Timed around every call, whichever processor it is; the instanceof checks below still see the processor itself.
  const processor = instrumentProcessor(deps.processor, (name, operation, outcome, seconds) => metrics.observeProcessorCall(name, operation, outcome, seconds));
  const services = createServices(deps.db, processor, contextualLogger(app.log), config, deps.now);
  services.reconciler.onPass((report) => metrics.reconciled(report));
  app.decorate('services', services);
  app.decorate('metrics', metrics);
  app.decorateRequest('traceContext', null);
  app.addHook('onRequest', async (request) => {
    request.traceContext = parseTraceparent(request.headers.traceparent);
  });
  // Before the docs and the routes, so that every route they add is guarded or declared open.
  installAuth(app, {
    verifier: createTokenVerifier(config.auth),
    ownership: new OwnershipChecker(services.customers, services.payments, services.paymentMethods),
    names: config.auth.names,
    throttle,
  });
  // After authentication: a refused request is never stored under its key, and keys belong to their caller.
  installIdempotency(app, {
    keys: services.idempotencyKeys,
    scopeOf: (request) => idempotencyScope(request.principal),
    leaseMs: config.idempotency.leaseMs,
    waitMs: config.idempotency.waitMs,
    observe: { replayed: () => metrics.idempotencyReplayed(), inProgress: () => metrics.idempotencyConflict() },
    auditOf: (request, reply, payload) => auditEntryOf(request, reply, payload, config.auth.names.adminRole),
  });
  const auditLog = new AuditLogRepository(deps.db);
  installAuditLog(app, auditLog, config.auth.names.adminRole);
  await registerDocs(app);
  await app.register(healthRoutes, { db: deps.db, readiness });
  installMetrics(app, metrics, config.metricsToken);
  await app.register(customerRoutes, { services });
  await app.register(paymentMethodRoutes, { services });
  await app.register(paymentIntentRoutes, { services });
  await app.register(refundRoutes, { services });
  await app.register(paymentListRoutes, { services });
  await app.register(adminOutboxRoutes, { services });
  await app.register(adminAuditRoutes, { auditLog });
  await app.register(adminConsoleRoutes, { services, reads: new ConsoleReadsRepository(deps.db), processor, now: deps.now ?? (() => new Date()) });
  await installConsole(app);
  await app.register(webhookRoutes, { services, bodyLimitBytes: config.bodyLimitBytes });
  await app.register(deliveryFeeRoutes, { services });
  await app.register(deliveryEventRoutes, { services });
  // Stripe hosts its own 3-D Secure page; the simulated processor's is served here, and only with it.
  if (deps.processor instanceof SimulatedProcessor) await app.register(simulatedChallengeRoutes, { challenges: deps.processor.challenges });
  // Likewise Stripe.js's confirmation of a browser-confirmed payment, for the simulated processor only.
  if (deps.processor instanceof SimulatedProcessor) {
    await app.register(simulatedConfirmRoutes, { processor: deps.processor, logger: contextualLogger(app.log) });
  }
  const delivery = deps.processor instanceof SimulatedProcessor ? deps.processor.delivery : null;
  if (delivery) {
    delivery.logger = app.log;
    // Events a stopped service kept are sent once it listens again; they stop before the database closes.
    // Once migrated and booted: the events need their tables, and the endpoint answers only then.
    app.addHook('onListen', async () =>
      readiness.onServing(() => void Promise.resolve(delivery.deliver()).catch((error: unknown) => app.log.warn({ err: error }, 'could not send the simulated processor\'s events yet'))));
    app.addHook('onClose', () => delivery.stop());
  }
  app.addHook('onClose', async () => {
    await services.reconciler.stop();
    await services.relay?.stop();
    await services.authorizationWatchdog.stop();
  });
  // Events already answered are processed before the database goes; the reconciler takes any left.
  app.addHook('onClose', () => services.webhooks.stop());
  return app;
}

/** Whose idempotency keys these are: the caller's (two callers never share a key); null for a token naming nobody. */
export function idempotencyScope(principal: Principal | null): string | null {
  return callerKey(principal);
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The use cases and jobs, for the process entry (reconciler) and tests. */
    services: AppServices;
    /** The series GET /metrics exposes. */
    metrics: ServiceMetrics;
  }
  interface FastifyRequest {
    /** The caller's W3C trace context (traceparent), when it sent a valid one; passed on to the peers called for it. */
    traceContext: TraceContext | null;
  }
}
