/**
 * The ceiling: a bare Fastify server doing the one query a route stands for (a select by email; a
 * single-row insert) on the same database and pool size as the service, no logging, no schemas,
 * no auth. What the service answers per second, over what this answers, is the ratio the bench prints.
 *
 * Run as a child process (bench.ts starts it): PORT, and CEILING_DATABASE_URL + CEILING_POOL_MAX or
 * CEILING_DATA_DIR (a PGlite of its own).
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';

/** PostgreSQL (optionally in a schema of its own, as the tests run) or a PGlite folder (`memory://`: in memory). */
export type CeilingTarget = { url: string; poolMax: number; schema?: string } | { dataDir: string };

type Query = (text: string, params: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS bench_ceiling_customers (id text PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS bench_ceiling_payments (id uuid PRIMARY KEY, customer_id text NOT NULL, amount bigint NOT NULL,
    order_id text NOT NULL, status text NOT NULL DEFAULT 'pending', created_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO bench_ceiling_customers (id, email, name) VALUES ('cus_ceiling', 'ceiling@example.com', 'Ceiling')
    ON CONFLICT DO NOTHING;
`;

/** The email the select finds. */
export const CEILING_EMAIL = 'ceiling@example.com';

/** The bare server and what closes its database. */
export async function buildCeiling(target: CeilingTarget): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  let query: Query;
  let closeDb: () => Promise<void>;
  if ('url' in target) {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolMax,
      ...(target.schema ? { options: `-c search_path="${target.schema}"` } : {}),
    });
    await pool.query(SCHEMA);
    query = (text, params) => pool.query(text, params);
    closeDb = () => pool.end();
  } else {
    const db = await PGlite.create(target.dataDir === 'memory://' ? undefined : target.dataDir);
    await db.exec(SCHEMA);
    query = (text, params) => db.query(text, params);
    closeDb = () => db.close();
  }
  const app = Fastify({ logger: false });
  app.get<{ Params: { email: string } }>('/ceiling/customer/:email', async (request, reply) => {
    const { rows } = await query('SELECT id, email, name, created_at FROM bench_ceiling_customers WHERE email = $1', [request.params.email]);
    if (rows.length === 0) return reply.status(404).send({ success: false, message: 'not found', code: 'customer_not_found' });
    return { success: true, data: rows[0] };
  });
  app.post<{ Body: { amount: number; customerId: string; orderId: string } }>('/ceiling/insert', async (request) => {
    const { amount, customerId, orderId } = request.body;
    const { rows } = await query(
      'INSERT INTO bench_ceiling_payments (id, customer_id, amount, order_id) VALUES ($1, $2, $3, $4) RETURNING id, status, created_at',
      [randomUUID(), customerId, amount, orderId],
    );
    return { success: true, data: rows[0] };
  });
  return {
    app,
    async close() {
      await app.close();
      await closeDb();
    },
  };
}

async function main() {
  const target: CeilingTarget = process.env.CEILING_DATABASE_URL
    ? { url: process.env.CEILING_DATABASE_URL, poolMax: Number(process.env.CEILING_POOL_MAX ?? 10) }
    : { dataDir: process.env.CEILING_DATA_DIR! };
  const ceiling = await buildCeiling(target);
  await ceiling.app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  const stop = () => void ceiling.close().finally(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
