import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { DataCipher } from '../crypto/data-cipher.js';
import { withDevelopmentDataKey } from '../crypto/development-data-key.js';
import { openDatabase } from '../store/database.js';
import { rotateSealedValues, sealedValueCensus, type SealingProgress } from '../store/sealed-columns.js';
import { SealedFields } from '../store/sealed-field.js';

const USAGE = `Re-encrypts every sealed value (customer names and emails, cardholder names, forwarded tokens,
the email lookup key) under the first key of DATA_ENCRYPTION_KEY, and seals what is still clear.

  DATA_ENCRYPTION_KEY=NEW,OLD npm run rotate-key [-- --batch-size 200] [--max-batches N]

  --batch-size   values per batch (default 200)
  --max-batches  stop after this many batches (run again to go on)

Runs beside the serving instances, in batches; each value is replaced only if unchanged since it
was read, so it is safe to stop (Ctrl-C stops after the batch under way) and to run again. Once it
prints "done", the keys after the first may be removed from DATA_ENCRYPTION_KEY.`;

const positive = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`--${name} must be a whole number of at least 1 (got ${JSON.stringify(value)})`);
  return n;
};

const describeCensus = (census: Record<string, Record<string, number>>): string =>
  Object.entries(census)
    .map(([column, byKey]) => `  ${column}: ${Object.entries(byKey).map(([key, n]) => `${n} ${key === 'clear' ? 'clear' : `under ${key}`}`).join(', ') || 'none'}`)
    .join('\n');

/** `npm run rotate-key`: progress on stdout, one line on stderr saying what is wrong. */
async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'batch-size': { type: 'string' }, 'max-batches': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const batchSize = positive('batch-size', values['batch-size']) ?? 200;
  const maxBatches = positive('max-batches', values['max-batches']);
  const config = await withDevelopmentDataKey(loadConfig());
  const cipher = new DataCipher(config.dataKeys!);
  const db = await openDatabase(config.database);
  const stop = new AbortController();
  const onSignal = () => {
    process.stdout.write('stopping after this batch (run again to go on)\n');
    stop.abort();
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'sealed_keys'");
    if (rows[0]!.n === 0) throw new ConfigError('The database has no encryption at rest yet: run npm run migrate (or start the service) first');
    process.stdout.write(`sealing under key ${cipher.currentKeyId}${cipher.keyIds.length > 1 ? `; also opening ${cipher.keyIds.slice(1).join(', ')}` : ''}\nbefore:\n${describeCensus(await sealedValueCensus(db))}\n`);
    const report = await rotateSealedValues(db, new SealedFields(db, cipher), {
      batchSize,
      maxBatches,
      signal: stop.signal,
      onBatch: (p: SealingProgress) => process.stdout.write(`${p.column}: ${p.action} ${p.batch} (${p.total} so far)\n`),
    });
    process.stdout.write(`after:\n${describeCensus(await sealedValueCensus(db))}\n`);
    process.stdout.write(
      report.complete
        ? `done: every sealed value is under key ${cipher.currentKeyId}; the keys after the first in DATA_ENCRYPTION_KEY may be removed\n`
        : 'stopped before the end: run again to go on\n',
    );
    return report.complete ? 0 : 3;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const known = error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`${known ? (error as Error).message : `rotate-key: ${(error as Error).message ?? error}`}\n`);
    process.exit(known ? 2 : 1);
  },
);
