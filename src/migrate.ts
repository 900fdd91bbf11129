import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './store/database.js';
import { migrate } from './store/migrate.js';

/** `npm run migrate`: applies pending migrations to the configured database and exits. */
async function main() {
  const config = loadConfig();
  const db = await openDatabase(config.database);
  try {
    const applied = await migrate(db);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'the database is up to date');
  } finally {
    await db.close();
  }
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : `migration failed: ${(error as Error).message}`);
  process.exit(1);
});
