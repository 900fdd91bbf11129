import { ConfigError, loadConfig, type Config } from './config.js';
import { startService } from './service.js';

/** Process entry: config → service → graceful close on SIGINT/SIGTERM. */
async function main() {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  const service = await startService(config);
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    service.app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), 10_000).unref();
    await service.close();
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGINT', () => void close('SIGINT'));
  process.on('SIGTERM', () => void close('SIGTERM'));
}

main().catch((error) => {
  console.error('payment service failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
