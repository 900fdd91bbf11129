import type { Database } from '../../src/store/database.js';

/**
 * A cheap fingerprint of every table of the test schema (row count and a sum of row hashes per
 * table), to prove a request changed nothing. `except` leaves out tables that change by design.
 */
export async function tableDigest(db: Database, except: string[] = []): Promise<Record<string, string>> {
  const { rows: tables } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const names = tables.map((table) => table.name).filter((name) => !except.includes(name));
  const { rows } = await db.query<{ name: string; digest: string }>(
    names
      .map((name) => `SELECT '${name}' AS name, count(*) || ':' || coalesce(sum(hashtext(t::text)::bigint), 0) AS digest FROM "${name}" t`)
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.digest]));
}
