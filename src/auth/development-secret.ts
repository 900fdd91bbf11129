import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, needsDevelopmentSecret, type Config } from '../config.js';

/** The file under DATA_DIR that holds the development secret. */
export const DEVELOPMENT_SECRET_FILE = 'dev-jwt-secret';

export interface DevelopmentSecret {
  file: string;
  /** True on the boot that made it. */
  created: boolean;
}

/**
 * The quickstart: with neither JWT_SECRET nor JWKS_URL, outside production, user tokens are
 * checked against a random secret kept in DATA_DIR (made once, readable by its owner only), so
 * `npm start` works with no setup and `npm run token` can mint tokens for it. Answers the config
 * with that secret in place, or the config unchanged when authentication is configured.
 */
export async function withDevelopmentSecret(config: Config): Promise<{ config: Config; developmentSecret: DevelopmentSecret | null }> {
  if (!needsDevelopmentSecret(config.auth)) return { config, developmentSecret: null };
  if (config.auth.required) throw new ConfigError('Authentication is not configured: set JWT_SECRET and/or JWKS_URL');
  const file = path.join(config.dataDir, DEVELOPMENT_SECRET_FILE);
  await mkdir(config.dataDir, { recursive: true });
  let created = true;
  try {
    // `wx` fails when the file exists, so two processes starting at once keep one secret.
    await writeFile(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    created = false;
  }
  const secret = (await readFile(file, 'utf8')).trim();
  if (secret.length < 16) throw new ConfigError(`${file} holds no usable secret; delete it and a new one is made at the next start`);
  const userTokens = { ...config.auth.userTokens, secret };
  return { config: { ...config, auth: { ...config.auth, userTokens } }, developmentSecret: { file, created } };
}
