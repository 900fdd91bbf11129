import { ConfigError, needsDevelopmentSecret, type Config } from '../config.js';
import { ensurePrivateSecret, PrivateFileError } from '../util/private-file.js';

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
  const { file, secret, created } = await ensurePrivateSecret(config.dataDir, DEVELOPMENT_SECRET_FILE).catch((error: unknown) => {
    throw error instanceof PrivateFileError ? new ConfigError(error.message) : error;
  });
  if (secret.length < 16) throw new ConfigError(`${file} holds no usable secret; delete it and a new one is made at the next start`);
  const userTokens = { ...config.auth.userTokens, secret };
  // Whoever reaches the port could use the administrator's token the banner prints (and a leaked
  // data folder mints more), so the development service stays on this machine unless HOST says otherwise.
  const host = config.hostExplicit ? config.host : DEVELOPMENT_HOST;
  return { config: { ...config, host, auth: { ...config.auth, userTokens } }, developmentSecret: { file, created } };
}
