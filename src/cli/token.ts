import { parseArgs } from 'node:util';
import { withDevelopmentSecret } from '../auth/development-secret.js';
import { mintUserToken, parseTtl } from '../auth/token-minter.js';
import { ConfigError, loadConfig } from '../config.js';

const USAGE = `Mints a user token for this service's configured secret (JWT_SECRET, or the development secret under DATA_DIR).

  npm run --silent token -- --email a@b.com [--role admin] [--scope "payment.read payment.write"] [--ttl 1h] [--sub id]

  --email   the customer the token speaks for (a customer reaches only its own records)
  --role    a role, e.g. admin (repeatable)
  --scope   space-separated scopes, e.g. "payment.read payment.write"
  --ttl     lifetime: 90s, 30m, 1h (default), 1d (at most 24 hours)
  --sub     subject (default: the email)

Prints the token alone on stdout.`;

/** `npm run token`: one token on stdout, or one line on stderr saying what to change. */
async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      email: { type: 'string' },
      role: { type: 'string', multiple: true },
      scope: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      sub: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.email && !values.role && !values.scope) throw new ConfigError('Give at least --email, --role or --scope (see --help)');
  const ttlSeconds = parseTtl(values.ttl);
  const { config } = await withDevelopmentSecret(loadConfig());
  const token = await mintUserToken(config.auth, { email: values.email, roles: values.role, scope: values.scope, subject: values.sub, ttlSeconds });
  process.stdout.write(`${token}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // parseArgs' own errors (an unknown option) are as plain as ours.
    const known = error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`${known ? (error as Error).message : `token: ${(error as Error).message ?? error}`}\n`);
    process.exit(2);
  },
);
