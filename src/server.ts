import type { AddressInfo } from 'node:net';
import { DEVELOPMENT_HOST, withDevelopmentSecret, type DevelopmentSecret } from './auth/development-secret.js';
import { withDevelopmentDataKey } from './crypto/development-data-key.js';
import { mintUserToken } from './auth/token-minter.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { CONSOLE_PREFIX } from './http/plugins/console.js';
import { startService } from './service.js';
import { closeOnSignals } from './shutdown.js';

/** Process entry: config (and, in development, its secret) → service → graceful close on SIGINT/SIGTERM. */
async function main() {
  let config: Config;
  let developmentSecret: DevelopmentSecret | null;
  try {
    ({ config, developmentSecret } = await withDevelopmentSecret(await withDevelopmentDataKey(loadConfig())));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const service = await startService(config, { developmentSecret: developmentSecret !== null });
  if (developmentSecret) {
    service.app.log.warn(
      { file: developmentSecret.file, created: developmentSecret.created },
      'development mode: user tokens are checked against a development secret; set JWT_SECRET and/or JWKS_URL outside development',
    );
  }

  // SIGTERM/SIGINT: not ready, drain, finish in-flight requests, close, exit (see src/shutdown.ts).
  closeOnSignals(service, config.shutdown);

  // The port really bound (PORT=0 picks a free one).
  const address = service.app.server.address() as AddressInfo;
  const base = config.publicUrl ?? `${config.tls ? 'https' : 'http'}://localhost:${address.port}`;
  if (developmentSecret) process.stdout.write(await developmentBanner(config, base, address));
}

/**
 * The quickstart's two lines: an administrator's token and a curl line that uses it. Written to
 * stdout rather than the log, and only in development: log lines are shipped and kept, and no
 * token may ever be in one.
 */
async function developmentBanner(config: Config, base: string, address: AddressInfo): Promise<string> {
  const token = await mintUserToken(config.auth, { email: 'admin@example.com', roles: [config.auth.names.adminRole], ttlSeconds: 12 * 3600 });
  const body = JSON.stringify({ email: 'customer@example.com', name: 'John Doe' });
  const where =
    address.address === DEVELOPMENT_HOST && !config.hostExplicit
      ? `Listening on ${address.address}:${address.port} only, as this runs on the development secret (HOST=0.0.0.0 to listen on every interface).`
      : `Listening on ${address.address}:${address.port}.`;
  return [
    '',
    where,
    `Development admin token (12 h; mint others with: npm run --silent token -- --email you@example.com [--role admin]):`,
    `  ${token}`,
    'The operations console, signed in (the token stays in the link\'s fragment, which no server sees):',
    `  ${base}${CONSOLE_PREFIX}/#token=${token}`,
    'Try it:',
    `  curl -s -X POST ${base}/payment/customer -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '${body}'`,
    '',
    '',
  ].join('\n');
}

main().catch((error) => {
  console.error('payment service failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
