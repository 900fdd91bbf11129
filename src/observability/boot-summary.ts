import type { Config } from '../config.js';

/** Live or test, from the key's prefix (sk_live_, rk_test_, ...); unknown for a key of another shape (a test server's). */
export function stripeMode(secretKey: string): 'live' | 'test' | 'unknown' {
  const match = /^(?:sk|rk)_(live|test)_/.exec(secretKey);
  return (match?.[1] as 'live' | 'test' | undefined) ?? 'unknown';
}

/** Where the database is, without its credentials: host:port/database, or the embedded one's folder. */
export function describeDatabase(database: Config['database']): string {
  if (!('url' in database)) return `embedded (${database.dataDir})`;
  try {
    const url = new URL(database.url);
    const name = url.pathname.replace(/^\//, '') || '(default database)';
    return `postgresql ${url.hostname || 'localhost'}:${url.port || '5432'}/${name}${database.schema ? ` schema ${database.schema}` : ''}`;
  } catch {
    return 'postgresql';
  }
}

/**
 * The one line every boot logs: what this process runs on, so that a deploy on the wrong
 * processor, database or key is seen in the first line of its log, never a secret in it.
 */
export function bootSummary(config: Config, developmentSecret: boolean): { fields: Record<string, unknown>; message: string } {
  const processor = config.stripe ? `stripe (${stripeMode(config.stripe.secretKey)} mode)` : config.paymentProcessor;
  const database = describeDatabase(config.database);
  const tokens = [config.auth.userTokens.secret !== undefined ? 'user tokens' : null, config.auth.serviceTokens ? 'service tokens (JWKS)' : null]
    .filter(Boolean)
    .join(' + ');
  const auth = developmentSecret ? 'development secret' : `${config.auth.required ? 'required' : 'auto'}: ${tokens || 'none'}`;
  const notifications = config.notifications ? 'on' : 'off';
  // A key id says which key seals, and reveals nothing of it: instances that disagree show it here.
  const keys = config.dataKeys;
  const dataKey = keys ? `${keys[0]!.id}${keys.length > 1 ? ` (+${keys.length - 1} older)` : ''}` : 'made for this process';
  return {
    fields: { environment: config.nodeEnv, processor, database, auth, notifications, dataKey, metricsProtected: config.metricsToken !== null },
    message: `boot: environment ${config.nodeEnv}, processor ${processor}, database ${database}, auth ${auth}, notifications ${notifications}, data key ${dataKey}`,
  };
}
