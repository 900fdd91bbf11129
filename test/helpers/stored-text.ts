import assert from 'node:assert/strict';
import { isEncrypted } from '../../src/crypto/data-cipher.js';
import { normalizeEmail } from '../../src/domain/customers.js';
import type { Database } from '../../src/store/database.js';
import type { SealedFields } from '../../src/store/sealed-field.js';

/** One clear value found at rest: where, and which of the looked-for strings. */
export interface StoredTextHit {
  table: string;
  column: string;
  needle: string;
}

/**
 * The tables that stand for the processor's own storage: the simulated processor keeps its
 * Stripe-shaped objects (a customer's name and email, as Stripe keeps them) in the service's
 * database. Production refuses the simulated processor (ALLOW_SIMULATED_PROCESSOR is for staging).
 */
export const PROCESSOR_STAND_IN_TABLES = ['simulated_processor_objects', 'simulated_processor_idempotency_keys', 'simulated_processor_events'];

/**
 * Looks through every text, varchar and JSON column of every table of the test schema for any of
 * `needles` (case-insensitively), and answers each place one is found. `except` leaves out tables.
 */
export async function findStoredText(db: Database, needles: readonly string[], except: readonly string[] = PROCESSOR_STAND_IN_TABLES): Promise<StoredTextHit[]> {
  assert.ok(needles.length > 0 && needles.every((needle) => needle.length >= 4), 'look for strings of 4 characters or more');
  const { rows: columns } = await db.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
     WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
     ORDER BY c.table_name, c.column_name`,
  );
  assert.ok(columns.length > 10, 'the scan sees the schema');
  const hits: StoredTextHit[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    if (except.includes(table)) continue;
    const { rows } = await db.query<{ needle: string }>(
      `SELECT DISTINCT n.needle FROM "${table}" t, unnest($1::text[]) AS n(needle)
       WHERE strpos(lower(t."${column}"::text), lower(n.needle)) > 0`,
      [needles],
    );
    hits.push(...rows.map(({ needle }) => ({ table, column, needle })));
  }
  return hits;
}

/** The customer rows of an email (found by its keyed hash), each value checked sealed and then opened. */
export async function storedCustomers(db: Database, sealed: SealedFields, email: string) {
  const { rows } = await db.query<{ id: string; email: string; name: string | null; email_normalized: string | null; processor_customer_id: string | null }>(
    'SELECT id, email, name, email_normalized, processor_customer_id FROM customers WHERE email_hmac = $1',
    [await sealed.emailHash(normalizeEmail(email), { create: false })],
  );
  return rows.map((row) => {
    assert.ok(isEncrypted(row.email), `customers.email of ${row.id} is sealed`);
    assert.ok(row.name === null || isEncrypted(row.name), `customers.name of ${row.id} is sealed`);
    assert.equal(row.email_normalized, null, 'no clear normalised email is kept');
    return {
      email: sealed.open('customers', 'email', row.id, row.email),
      name: sealed.openNullable('customers', 'name', row.id, row.name),
      processor_customer_id: row.processor_customer_id,
    };
  });
}

/** A stored cardholder name, checked sealed, opened. */
export function openCardholderName(sealed: SealedFields, paymentMethodId: string, stored: string | null): string | null {
  assert.ok(stored === null || isEncrypted(stored), `payment_methods.cardholder_name of ${paymentMethodId} is sealed`);
  return sealed.openNullable('payment_methods', 'cardholder_name', paymentMethodId, stored);
}
