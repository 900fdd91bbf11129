import { normalizeEmail } from '../domain/customers.js';
import { forwardedTokenContext } from '../domain/order-notifications.js';
import type { Database } from './database.js';
import { isEncrypted } from '../crypto/data-cipher.js';
import { SealedValueError, sealedContext, type SealedFields } from './sealed-field.js';

/** A column whose values are sealed: its table, the row key, and what a value is bound to. */
interface SealedColumn {
  table: string;
  column: string;
  /** The row key, to update one row. */
  key: string;
  /** The SQL for the id the value's context names (the row key, or the payment a token belongs to). */
  ref: string;
  context(ref: string): string;
}

const rowBound = (table: string, column: string, key = 'id'): SealedColumn => ({
  table,
  column,
  key,
  ref: `${key}::text`,
  context: (ref) => sealedContext(table, column, ref),
});

/** Every sealed column in the database: what rotate-key re-encrypts and the boot seals. */
export const SEALED_COLUMNS: readonly SealedColumn[] = [
  rowBound('customers', 'email'),
  rowBound('customers', 'name'),
  rowBound('payment_methods', 'cardholder_name'),
  { table: 'payments', column: 'notify_token', key: 'id', ref: 'id::text', context: forwardedTokenContext },
  { table: 'outbox', column: 'auth_token', key: 'id', ref: 'payment_id::text', context: forwardedTokenContext },
  rowBound('sealed_keys', 'sealed', 'name'),
];

/** The checks of migration 017, validated once no clear value is left. */
const SEALED_CHECKS = [
  ['customers', 'customers_email_sealed'],
  ['customers', 'customers_name_sealed'],
  ['customers', 'customers_email_normalized_gone'],
  ['payment_methods', 'payment_methods_cardholder_name_sealed'],
] as const;

export interface SealingProgress {
  /** `table.column` */
  column: string;
  action: 'sealed' | 'rotated';
  /** Values changed in this batch, and so far in this column. */
  batch: number;
  total: number;
}

export interface SealingOptions {
  batchSize?: number;
  /** Stops after this many batches in all (the rest is done by the next run). */
  maxBatches?: number;
  onBatch?: (progress: SealingProgress) => void;
  /** Stops after the batch under way (SIGINT, SIGTERM): the next run goes on from there. */
  signal?: AbortSignal;
}

interface ValueRow {
  key: string;
  ref: string;
  value: string;
}

/**
 * Runs batches of `work` per column until a batch finds nothing, or the batch budget is spent.
 * Each value is written with a compare-and-set on its old value, so a run killed at any point, or
 * two runs at once, leave every value either as it was or done: running again finishes the job.
 */
class BatchRunner {
  private batches = 0;
  readonly counts: Record<string, number> = {};

  constructor(private readonly options: SealingOptions) {}

  get exhausted(): boolean {
    return (this.options.maxBatches !== undefined && this.batches >= this.options.maxBatches) || this.options.signal?.aborted === true;
  }

  get batchSize(): number {
    return this.options.batchSize ?? 200;
  }

  async run(column: string, action: SealingProgress['action'], batch: () => Promise<number>): Promise<void> {
    while (!this.exhausted) {
      const changed = await batch();
      if (changed === 0) return;
      this.batches += 1;
      const key = `${column} ${action}`;
      this.counts[key] = (this.counts[key] ?? 0) + changed;
      this.options.onBatch?.({ column, action, batch: changed, total: this.counts[key] });
    }
  }
}

/** What one sealing or rotation run did: values changed per `table.column action`, and whether it got to the end. */
export interface SealingReport {
  counts: Record<string, number>;
  complete: boolean;
}

/**
 * Seals what is still clear: rows written before migration 017 get their email hash and sealed
 * email and name, cards their sealed cardholder name; once none is left, the checks that refuse
 * clear values are validated. Run at boot and by rotate-key.
 */
export async function sealClearValues(db: Database, sealed: SealedFields, options: SealingOptions = {}): Promise<SealingReport> {
  const runner = new BatchRunner(options);
  return { counts: runner.counts, complete: await sealClear(db, sealed, runner) };
}

async function sealClear(db: Database, sealed: SealedFields, runner: BatchRunner): Promise<boolean> {
  // A customer row is sealed whole, in one update: the checks refuse a row left partly clear.
  await runner.run('customers', 'sealed', async () => {
    const { rows } = await db.query<{ id: string; email: string; email_normalized: string | null; name: string | null }>(
      `SELECT id::text AS id, email, email_normalized, name FROM customers
       WHERE email_hmac IS NULL OR email_normalized IS NOT NULL OR email NOT LIKE 'enc:v1:%' OR name NOT LIKE 'enc:v1:%'
       ORDER BY id LIMIT $1`,
      [runner.batchSize],
    );
    for (const row of rows) {
      const email = sealed.open('customers', 'email', row.id, row.email);
      const name = sealed.openNullable('customers', 'name', row.id, row.name);
      await db.query(
        `UPDATE customers SET email = $2, name = $3, email_hmac = $4, email_normalized = NULL
         WHERE id = $1 AND email = $5 AND name IS NOT DISTINCT FROM $6`,
        [
          row.id,
          isEncrypted(row.email) ? row.email : sealed.seal('customers', 'email', row.id, email),
          row.name === null || isEncrypted(row.name) ? row.name : sealed.seal('customers', 'name', row.id, name!),
          // What the lookups matched before: the normalised form as it was stored.
          await sealed.emailHash(row.email_normalized ?? normalizeEmail(email), { create: true }),
          row.email,
          row.name,
        ],
      );
    }
    return rows.length;
  });
  await runner.run('payment_methods.cardholder_name', 'sealed', async () => {
    const column = SEALED_COLUMNS.find((c) => c.table === 'payment_methods')!;
    const rows = await valuesWhere(db, column, "cardholder_name NOT LIKE 'enc:v1:%'", [], runner.batchSize);
    for (const row of rows) await replaceValue(db, column, row, sealed.cipher.encrypt(row.value, column.context(row.ref)));
    return rows.length;
  });
  if (runner.exhausted) return false;
  for (const [table, check] of SEALED_CHECKS) {
    const { rows } = await db.query<{ convalidated: boolean }>('SELECT convalidated FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2', [table, check]);
    if (rows[0] && !rows[0].convalidated) await db.query(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${check}`);
  }
  return true;
}

/**
 * Re-encrypts every sealed value not under the current key id with the current key (after sealing
 * what is still clear): once it completes, the keys after the first in DATA_ENCRYPTION_KEY can go.
 * A value whose key is no longer configured stops the run with a SealedValueError naming its row.
 */
export async function rotateSealedValues(db: Database, sealed: SealedFields, options: SealingOptions = {}): Promise<SealingReport> {
  const runner = new BatchRunner(options);
  if (!(await sealClear(db, sealed, runner))) return { counts: runner.counts, complete: false };
  const current = sealed.cipher.currentKeyId;
  for (const column of SEALED_COLUMNS) {
    await runner.run(`${column.table}.${column.column}`, 'rotated', async () => {
      const rows = await valuesWhere(db, column, `${column.column} LIKE 'enc:v1:%' AND ${column.column} NOT LIKE $1`, [`enc:v1:${current}:%`], runner.batchSize);
      for (const row of rows) {
        let clearValue: string;
        try {
          clearValue = sealed.cipher.decrypt(row.value, column.context(row.ref));
        } catch (error) {
          throw new SealedValueError(`${column.table}.${column.column} of row ${row.key}`, error);
        }
        await replaceValue(db, column, row, sealed.cipher.encrypt(clearValue, column.context(row.ref)));
      }
      return rows.length;
    });
  }
  return { counts: runner.counts, complete: !runner.exhausted };
}

/** How many values of each sealed column are under each key id (and clear): what rotate-key prints. */
export async function sealedValueCensus(db: Database): Promise<Record<string, Record<string, number>>> {
  const census: Record<string, Record<string, number>> = {};
  for (const column of SEALED_COLUMNS) {
    const { rows } = await db.query<{ key_id: string; count: number }>(
      `SELECT CASE WHEN ${column.column} LIKE 'enc:v1:%' THEN split_part(${column.column}, ':', 3) ELSE 'clear' END AS key_id, count(*)::int AS count
       FROM ${column.table} WHERE ${column.column} IS NOT NULL GROUP BY 1 ORDER BY 1`,
    );
    census[`${column.table}.${column.column}`] = Object.fromEntries(rows.map((row) => [row.key_id, row.count]));
  }
  return census;
}

async function valuesWhere(db: Database, column: SealedColumn, condition: string, params: unknown[], limit: number): Promise<ValueRow[]> {
  const { rows } = await db.query<ValueRow>(
    `SELECT ${column.key}::text AS key, ${column.ref} AS ref, ${column.column} AS value FROM ${column.table}
     WHERE ${condition} ORDER BY ${column.key} LIMIT $${params.length + 1}`,
    [...params, limit],
  );
  return rows;
}

/** Writes a value's new form only if it is still the one read: a row changed meanwhile is taken up again by the next batch. */
async function replaceValue(db: Database, column: SealedColumn, row: ValueRow, value: string): Promise<void> {
  await db.query(`UPDATE ${column.table} SET ${column.column} = $1 WHERE ${column.key} = $2 AND ${column.column} = $3`, [value, row.key, row.value]);
}
