import { buildApp, loggerOptions } from './app.js';
import { withDevelopmentSecret, type DevelopmentSecret } from './auth/development-secret.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createProcessor } from './processors/index.js';
import { openDatabase } from './store/database.js';
import { migrate } from './store/migrate.js';

/** Process entry: config → database → migrations → app → listen; closes cleanly on SIGINT/SIGTERM. */
async function main() {
  let config: Config;
  let developmentSecret: DevelopmentSecret | null;
  try {
    ({ config, developmentSecret } = await withDevelopmentSecret(loadConfig()));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const db = await openDatabase(config.database);
  const applied = await migrate(db);
  const processor = createProcessor(config, db);
  const app = await buildApp(config, { db, processor }, { logger: loggerOptions(config) });
  if (applied.length > 0) app.log.info({ migrations: applied }, 'database migrated');
  if (developmentSecret) {
    app.log.warn(
      { file: developmentSecret.file, created: developmentSecret.created },
      'development mode: user tokens are checked against a development secret; set JWT_SECRET and/or JWKS_URL outside development',
    );
  }

  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000).unref();
    await app.close();
    await db.close();
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGINT', () => void close('SIGINT'));
  process.on('SIGTERM', () => void close('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    { processor: processor.name, database: db.kind === 'pglite' ? `embedded (${config.dataDir})` : 'postgresql' },
    `payment service ready: http://localhost:${config.port}/payment/api-docs`,
  );
}

main().catch((error) => {
  console.error('payment service failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
