import type { Customer } from '../domain/models.js';
import type { Queryable } from './database.js';
import type { SealedFields } from './sealed-field.js';

interface CustomerRow {
  id: string;
  processor_customer_id: string | null;
  email: string;
  name: string | null;
  card_generation: number;
  owner_subject: string | null;
  created_at: Date;
}

const COLUMNS = 'id, processor_customer_id, email, name, card_generation, owner_subject, created_at';

/**
 * Customers. The email and the name are kept sealed (see SealedFields) and answered clear; a
 * customer is found by the keyed hash of its normalised email, which is also what keeps one
 * customer per email.
 */
export class CustomersRepository {
  constructor(
    private readonly db: Queryable,
    private readonly sealed: SealedFields,
  ) {}

  private toCustomer(row: CustomerRow): Customer {
    return {
      id: row.id,
      processorCustomerId: row.processor_customer_id,
      email: this.sealed.open('customers', 'email', row.id, row.email),
      name: this.sealed.openNullable('customers', 'name', row.id, row.name),
      cardGeneration: row.card_generation,
      ownerSubject: row.owner_subject,
      createdAt: row.created_at,
    };
  }

  async findByNormalizedEmail(emailNormalized: string): Promise<Customer | null> {
    // A row from before sealing (the boot seals them) has no hash yet and is found by its clear form.
    const { rows } = await this.db.query<CustomerRow>(
      `SELECT ${COLUMNS} FROM customers WHERE email_hmac = $1 OR (email_hmac IS NULL AND email_normalized = $2)`,
      [await this.sealed.emailHash(emailNormalized, { create: false }), emailNormalized],
    );
    return rows[0] ? this.toCustomer(rows[0]) : null;
  }

  async findByProcessorId(processorCustomerId: string): Promise<Customer | null> {
    const { rows } = await this.db.query<CustomerRow>(`SELECT ${COLUMNS} FROM customers WHERE processor_customer_id = $1`, [
      processorCustomerId,
    ]);
    return rows[0] ? this.toCustomer(rows[0]) : null;
  }

  async findById(id: string): Promise<Customer | null> {
    const { rows } = await this.db.query<CustomerRow>(`SELECT ${COLUMNS} FROM customers WHERE id = $1`, [id]);
    return rows[0] ? this.toCustomer(rows[0]) : null;
  }

  /** Inserts a customer not yet known to the processor; null when the email is already taken. */
  async insertPending(customer: { id: string; email: string; emailNormalized: string; name: string | null; ownerSubject: string | null }): Promise<Customer | null> {
    const { rows } = await this.db.query<CustomerRow>(
      `INSERT INTO customers (id, email, email_hmac, name, owner_subject) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (email_hmac) DO NOTHING RETURNING ${COLUMNS}`,
      [
        customer.id,
        this.sealed.seal('customers', 'email', customer.id, customer.email),
        await this.sealed.emailHash(customer.emailNormalized, { create: true }),
        this.sealed.sealNullable('customers', 'name', customer.id, customer.name),
        customer.ownerSubject,
      ],
    );
    return rows[0] ? this.toCustomer(rows[0]) : null;
  }

  /** Records the processor's id; the first one recorded wins, so racing completions agree. */
  async setProcessorId(id: string, processorCustomerId: string): Promise<Customer> {
    const { rows } = await this.db.query<CustomerRow>(
      `UPDATE customers SET processor_customer_id = COALESCE(processor_customer_id, $2), updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, processorCustomerId],
    );
    return this.toCustomer(rows[0]!);
  }
}
