import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, needsDevelopmentSecret, type Config } from '../config.js';

/** The file under DATA_DIR that holds the development secret. */
export const DEVELOPMENT_SECRET_FILE = 'dev-jwt-secret';

/** Where the service listens on the development secret when HOST is unset: loopback only. */
export const DEVELOPMENT_HOST = '127.0.0.1';

export interface DevelopmentSecret {
  file: string;
  /** True on the boot that made it. */
  created: boolean;
}

/**
 * The quickstart: with neither JWT_SECRET nor JWKS_URL, outside production, user tokens are
 * checked against a random secret kept in DATA_DIR (made once, readable by its owner only), so
 * `npm start` works with no setup and `npm run token` can mint tokens for it. Answers the config
 * with that secret in place (and, unless HOST is set, listening on loopback only), or the config
 * unchanged when authentication is configured.
 */
export async function withDevelopmentSecret(config: Config): Promise<{ config: Config; developmentSecret: DevelopmentSecret | null }> {
  if (!needsDevelopmentSecret(config.auth)) return { config, developmentSecret: null };
  if (config.auth.required) throw new ConfigError('Authentication is not configured: set JWT_SECRET and/or JWKS_URL');
  // Real money and a secret anyone with the data folder can read do not go together.
  if (config.stripe && /^(sk|rk)_live_/.test(config.stripe.secretKey)) {
    throw new ConfigError('Authentication is not configured: a live Stripe key needs JWT_SECRET and/or JWKS_URL (no development secret with real money)');
  }
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
  const secret = await readOwnSecret(file);
  if (secret.length < 16) throw new ConfigError(`${file} holds no usable secret; delete it and a new one is made at the next start`);
  const userTokens = { ...config.auth.userTokens, secret };
  // Whoever reaches the port could use the administrator's token the banner prints (and a leaked
  // data folder mints more), so the development service stays on this machine unless HOST says otherwise.
  const host = config.hostExplicit ? config.host : DEVELOPMENT_HOST;
  return { config: { ...config, host, auth: { ...config.auth, userTokens } }, developmentSecret: { file, created } };
}

/**
 * Reads the secret only from a regular file of ours that nobody else can read or write: a file
 * planted there (or a link to some public file) would let its author mint administrator tokens.
 */
async function readOwnSecret(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(`${file} cannot be opened as the development secret (${error.code}); delete it and a new one is made at the next start`);
  });
  try {
    const stat = await handle.stat();
    const ours = typeof process.getuid !== 'function' || stat.uid === process.getuid();
    if (!stat.isFile() || !ours || (stat.mode & 0o077) !== 0) {
      throw new ConfigError(`${file} is not a private file of this user (mode 0600); delete it and a new one is made at the next start`);
    }
    return (await handle.readFile('utf8')).trim();
  } finally {
    await handle.close();
  }
}
