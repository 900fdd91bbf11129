import type { Database } from '../../src/store/database.js';

/**
 * A cheap fingerprint of every table of the test schema (row count and a sum of row hashes per
 * table), to prove a request changed nothing. `except` leaves out tables that change by design.
 */
export async function tableDigest(db: Database, except: string[] = []): Promise<Record<string, string>> {
  const names = (await tableNames(db)).filter((name) => !except.includes(name));
  const { rows } = await db.query<{ name: string; digest: string }>(
    names
      .map((name) => `SELECT '${name}' AS name, count(*) || ':' || coalesce(sum(hashtext(t::text)::bigint), 0) AS digest FROM "${name}" t`)
      .join(' UNION ALL '),
  );
  return Object.fromEntries(rows.map((row) => [row.name, row.digest]));
}

/**
 * Counts the rows written to every table of the test schema, by a row trigger per table (the test
 * schema only): reading the counts costs one small query however large the tables grow, where a
 * digest reads them all. A rewrite with the same values counts: a refused request must not write.
 */
export async function watchTableWrites(db: Database): Promise<() => Promise<Record<string, number>>> {
  const tables = await tableNames(db);
  await db.exec(`
    CREATE TABLE test_table_writes (table_name text PRIMARY KEY, writes bigint NOT NULL);
    CREATE FUNCTION test_count_table_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO test_table_writes VALUES (TG_TABLE_NAME, 1)
        ON CONFLICT (table_name) DO UPDATE SET writes = test_table_writes.writes + 1;
      RETURN NULL;
    END $$;
    ${tables.map((name) => `CREATE TRIGGER test_count_writes AFTER INSERT OR UPDATE OR DELETE ON "${name}" FOR EACH ROW EXECUTE FUNCTION test_count_table_write();`).join('\n')}
  `);
  return async () => {
    const { rows } = await db.query<{ table_name: string; writes: number }>('SELECT table_name, writes FROM test_table_writes');
    return Object.fromEntries(rows.map((row) => [row.table_name, Number(row.writes)]));
  };
}

/** The tables of the test schema. */
export async function tableNames(db: Database): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((row) => row.name);
}
