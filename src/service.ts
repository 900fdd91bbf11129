import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { buildApp, loggerOptions } from './app.js';
import type { Config } from './config.js';
import { describeTransport, reloadCertificateOnSighup } from './http/tls.js';
import { logDestination } from './logging.js';
import { bootSummary } from './observability/boot-summary.js';
import { Readiness } from './observability/readiness.js';
import { createProcessor } from './processors/index.js';
import type { PaymentProcessor } from './processors/processor.js';
import { openDatabase, type Database } from './store/database.js';
import { migrate } from './store/migrate.js';
import { sealClearValues } from './store/sealed-columns.js';

const BOOT_RECONCILE_BUDGET_MS = 15_000;

export interface RunningService {
  app: FastifyInstance;
  db: Database;
  /** The address it listens on. */
  url: string;
  /** What /ready answers: serving once booted, stopping once a shutdown began. */
  readiness: Readiness;
  close(): Promise<void>;
}

/**
 * Boots the service: database, processor, app, listen (with /ready answering 503 and every other
 * route but the probes and /metrics waiting for the boot), migrations, a first reconciliation, the
 * reconciler's interval, then ready. `overrides` let a test harness wrap the database or the
 * processor (to inject faults); the process entry passes none.
 */
export async function startService(
  config: Config,
  overrides: { wrapDatabase?: (db: Database) => Database; processor?: (db: Database) => PaymentProcessor; developmentSecret?: boolean } = {},
): Promise<RunningService> {
  const readiness = new Readiness('starting');
  const opened = await openDatabase(config.database);
  const db = overrides.wrapDatabase?.(opened) ?? opened;
  // The links the service answers (the simulated 3-D Secure page) name PUBLIC_URL, or localhost and
  // the port, which PORT=0 leaves to be known once the service listens.
  let publicUrl = config.publicUrl ?? `${config.tls ? 'https' : 'http'}://localhost:${config.port}`;
  const processor = overrides.processor?.(db) ?? createProcessor(config, db, () => publicUrl);
  const destination = await logDestination(config);
  const app = await buildApp(config, { db, processor, readiness }, { logger: { ...(loggerOptions(config) as object), ...(destination ? { stream: destination } : {}) } });
  const summary = bootSummary(config, overrides.developmentSecret ?? false);
  app.log.info(summary.fields, summary.message);
  for (const warning of config.productionWarnings) app.log.warn(warning);

  // Listening while it starts, so the orchestrator's probes get answers (/health 200, /ready 503)
  // rather than refused connections; the other routes answer 503 until the boot is done.
  const url = await app.listen({ port: config.port, host: config.host });
  const address = app.server.address() as AddressInfo;
  if (!config.publicUrl) publicUrl = `${config.tls ? 'https' : 'http'}://localhost:${address.port}`;
  try {
    await boot(app, opened, config);
  } catch (error) {
    await app.close().catch(() => {});
    await opened.close().catch(() => {});
    throw error;
  }
  readiness.serving();
  const stopReloading = config.tls ? reloadCertificateOnSighup(app.server as unknown as TlsServer, config.tls, app.log) : () => {};
  app.log.info(describeTransport(config));
  app.log.info(
    {
      processor: processor.name,
      database: opened.kind === 'pglite' ? `embedded (${config.dataDir})` : 'postgresql',
      address: address.address,
      port: address.port,
    },
    `payment service ready: ${publicUrl}/payment/api-docs`,
  );
  return {
    app,
    db,
    url,
    readiness,
    async close() {
      readiness.stopping();
      stopReloading();
      await app.close();
      await opened.close();
    },
  };
}

/** Migrations, the boot reconciliation (within its budget), the reconciler's interval and the relay. */
async function boot(app: FastifyInstance, opened: Database, config: Config): Promise<void> {
  const applied = await migrate(opened);
  if (applied.length > 0) app.log.info({ migrations: applied }, 'database migrated');
  // A data key that does not open this database's sealed values stops the boot here, saying so;
  // rows from before encryption at rest are sealed before the first request (resumed if cut short).
  await app.services.sealedFields.emailLookupKey();
  const sealing = await sealClearValues(opened, app.services.sealedFields);
  if (Object.keys(sealing.counts).length > 0) app.log.info({ sealed: sealing.counts }, 'sealed the personal data kept clear before encryption at rest');

  // Whatever a crash left unresolved is settled before the first request is answered, within a
  // budget: with the processor down, a long pass would keep the service from ever being ready (and
  // requests are safe without it: they resolve what they touch first, and orders stay held).
  const pass = app.services.reconciler.runOnce().then(
    (report) => {
      if (report.payments + report.refunds + report.failures > 0) app.log.info({ report }, 'reconciled at boot');
      return true;
    },
    (error: unknown) => {
      app.log.error({ err: error }, 'boot reconciliation failed');
      return true;
    },
  );
  const budget = new Promise<false>((resolve) => setTimeout(() => resolve(false), BOOT_RECONCILE_BUDGET_MS).unref());
  if (!(await Promise.race([pass, budget]))) app.log.warn('boot reconciliation goes on in the background');
  if (config.reconciler.intervalMs > 0) app.services.reconciler.start(config.reconciler.intervalMs);
  app.services.authorizationWatchdog.start(config.delivery.watchIntervalMs);
  const relay = app.services.relay;
  if (relay && config.notifications) {
    // What an earlier run left queued goes out now; then every commit kicks the relay, and the sweep catches the rest.
    relay.start(config.notifications.sweepIntervalMs);
    relay.kick();
    app.log.info({ orderService: config.notifications.orderServiceUrl, serviceTokens: config.clientCredentials !== null }, 'notifications on: the Order Service is told of payments');
  } else {
    app.log.info('notifications off: ORDER_SERVICE_URL is unset, so the Order Service is not told of payments');
  }
}
