import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

/** Anything SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

/** The one database seam: PostgreSQL through `pg`, or the embedded PGlite, with the same SQL. */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** The connection pool as the metrics show it; absent on a wrapper that does not know. */
  stats?(): PoolStats;
}

/** Connections open, those idle among them, and the queries waiting for one. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export type DatabaseOptions =
  | { url: string; schema?: string | undefined; poolMax?: number }
  | { dataDir: string };

const INT8_OID = 20;
// Amounts are bigint columns; every value we store is far below 2^53, so a JS number is exact.
const parseInt8 = (value: string) => Number(value);

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  return 'url' in options ? openPostgres(options) : openPglite(options.dataDir);
}

async function openPostgres(options: { url: string; schema?: string | undefined; poolMax?: number }) {
  if (options.schema) {
    const client = new pg.Client({ connectionString: options.url });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    application_name: 'payment-service',
    ...(options.schema ? { options: `-c search_path="${options.schema}"` } : {}),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  await pool.query('SELECT 1');
  return new PostgresDatabase(pool);
}

class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;
  constructor(private readonly pool: pg.Pool) {}

  query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return pgQuery<R>(this.pool, text, params);
  }

  async exec(script: string): Promise<void> {
    await this.pool.query(script);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: Queryable = {
      query: <R>(text: string, params?: readonly unknown[]) => pgQuery<R>(client, text, params),
      exec: async (script: string) => void (await client.query(script)),
    };
    let broken = false;
    try {
      await client.query('BEGIN');
      const value = await fn(tx);
      await client.query('COMMIT');
      return value;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close() {
    await this.pool.end();
  }

  stats(): PoolStats {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }
}

/**
 * Statements with parameters are named, so each connection parses and plans one once and then only
 * binds it (the repositories' SQL is a fixed set of texts). Without parameters (a script, SET, a
 * DDL statement) a text goes as sent: a named statement may hold one statement only.
 */
const statementNames = new Map<string, string>();
const MAX_NAMED_STATEMENTS = 1000;
let namesGiven = 0;

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_NAMED_STATEMENTS) {
    name = `s${namesGiven++}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * A migration that adds a column to a table a statement selects `*` from (another instance's, in a
 * rolling deploy) makes PostgreSQL refuse the statement as prepared on this process's connections.
 * The text then gets a new name, prepared afresh; outside a transaction it is sent again at once
 * (it was refused before it ran), inside one the transaction fails once.
 */
function isStalePlan(error: unknown): boolean {
  return (error as { code?: string }).code === '0A000' && /cached plan must not change result type/.test((error as Error).message);
}

async function pgQuery<R>(
  target: pg.Pool | pg.PoolClient,
  text: string,
  params?: readonly unknown[],
): Promise<QueryResult<R>> {
  const name = params === undefined ? undefined : statementName(text);
  const send = (named: string | undefined) => target.query({ text, values: params as unknown[] | undefined, ...(named ? { name: named } : {}) });
  let result: pg.QueryResult;
  try {
    result = await send(name);
  } catch (error) {
    if (!name || !isStalePlan(error)) throw error;
    statementNames.delete(text);
    const renamed = statementName(text);
    if (target instanceof pg.Pool) result = await send(renamed);
    else throw error;
  }
  return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
}

async function openPglite(dataDir: string) {
  const inMemory = dataDir === 'memory://';
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(inMemory ? undefined : dataDir, {
    parsers: { [INT8_OID]: parseInt8 },
  });
  return new PgliteDatabase(db);
}

class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  constructor(private readonly db: PGlite) {}

  query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return pgliteQuery<R>(this.db, text, params);
  }

  async exec(script: string): Promise<void> {
    await this.db.exec(script);
  }

  // PGlite runs one statement at a time and its transaction holds the whole instance, so code inside
  // `fn` must use `tx` only: a query on the database itself would wait for this transaction to end.
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction(async (inner) =>
      fn({
        query: <R>(text: string, params?: readonly unknown[]) => pgliteQuery<R>(inner, text, params),
        exec: async (script: string) => void (await inner.exec(script)),
      }),
    );
  }

  async close() {
    await this.db.close();
  }

  // One connection, always open; PGlite queues what waits for it internally and does not say how much.
  stats(): PoolStats {
    return { total: 1, idle: 1, waiting: 0 };
  }
}

async function pgliteQuery<R>(
  target: Pick<PGlite, 'query'>,
  text: string,
  params?: readonly unknown[],
): Promise<QueryResult<R>> {
  const result = await target.query<R>(text, params as unknown[] | undefined);
  // affectedRows counts INSERT/UPDATE/DELETE; a SELECT reports 0 there, so count its rows instead.
  return { rows: result.rows, rowCount: result.affectedRows || result.rows.length };
}
