import { randomBytes } from 'node:crypto';
import { ConfigError, type Config } from '../config.js';
import { ensurePrivateSecret, PrivateFileError } from '../util/private-file.js';
import { dataKeyId, type DataKey } from './data-cipher.js';

/** The file under DATA_DIR that holds the development data key. */
export const DEVELOPMENT_DATA_KEY_FILE = 'dev-data-key';

/**
 * Outside production, with no DATA_ENCRYPTION_KEY, the data kept at rest is sealed with a random
 * key made once under DATA_DIR (readable by its owner only), so `npm start` needs no setup.
 * Production never gets here: there the key is required (config.ts).
 */
export async function withDevelopmentDataKey(config: Config): Promise<Config> {
  if (config.dataKeys !== null || config.nodeEnv === 'production') return config;
  const { file, secret } = await ensurePrivateSecret(config.dataDir, DEVELOPMENT_DATA_KEY_FILE).catch((error: unknown) => {
    throw error instanceof PrivateFileError ? new ConfigError(error.message) : error;
  });
  const key = Buffer.from(secret, 'base64url');
  if (key.length !== 32) throw new ConfigError(`${file} holds no usable data key; delete it and a new one is made at the next start`);
  return { ...config, dataKeys: [{ id: dataKeyId(key), key }] };
}

let processKey: DataKey | null = null;

/**
 * The key an app built without DATA_ENCRYPTION_KEY seals with (a test or a script calling buildApp
 * directly; the server passes the development key above, production a configured one): made for
 * this process and lost with it, so nothing it sealed outlives the process's own database.
 */
export function processDataKeys(): DataKey[] {
  if (!processKey) {
    const key = randomBytes(32);
    processKey = { id: dataKeyId(key), key };
  }
  return [processKey];
}
