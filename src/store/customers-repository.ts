import type { Customer } from '../domain/models.js';
import type { Queryable } from './database.js';

interface CustomerRow {
  id: string;
  processor_customer_id: string | null;
  email: string;
  name: string | null;
  card_generation: number;
  owner_subject: string | null;
  created_at: Date;
}

const toCustomer = (row: CustomerRow): Customer => ({
  id: row.id,
  processorCustomerId: row.processor_customer_id,
  email: row.email,
  name: row.name,
  cardGeneration: row.card_generation,
  ownerSubject: row.owner_subject,
  createdAt: row.created_at,
});

const COLUMNS = 'id, processor_customer_id, email, name, card_generation, owner_subject, created_at';

export class CustomersRepository {
  constructor(private readonly db: Queryable) {}

  async findByNormalizedEmail(emailNormalized: string): Promise<Customer | null> {
    const { rows } = await this.db.query<CustomerRow>(`SELECT ${COLUMNS} FROM customers WHERE email_normalized = $1`, [
      emailNormalized,
    ]);
    return rows[0] ? toCustomer(rows[0]) : null;
  }

  async findByProcessorId(processorCustomerId: string): Promise<Customer | null> {
    const { rows } = await this.db.query<CustomerRow>(`SELECT ${COLUMNS} FROM customers WHERE processor_customer_id = $1`, [
      processorCustomerId,
    ]);
    return rows[0] ? toCustomer(rows[0]) : null;
  }

  async findById(id: string): Promise<Customer | null> {
    const { rows } = await this.db.query<CustomerRow>(`SELECT ${COLUMNS} FROM customers WHERE id = $1`, [id]);
    return rows[0] ? toCustomer(rows[0]) : null;
  }

  /** Inserts a customer not yet known to the processor; null when the email is already taken. */
  async insertPending(customer: { id: string; email: string; emailNormalized: string; name: string | null; ownerSubject: string | null }): Promise<Customer | null> {
    const { rows } = await this.db.query<CustomerRow>(
      `INSERT INTO customers (id, email, email_normalized, name, owner_subject) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (email_normalized) DO NOTHING RETURNING ${COLUMNS}`,
      [customer.id, customer.email, customer.emailNormalized, customer.name, customer.ownerSubject],
    );
    return rows[0] ? toCustomer(rows[0]) : null;
  }

  /** Records the processor's id; the first one recorded wins, so racing completions agree. */
  async setProcessorId(id: string, processorCustomerId: string): Promise<Customer> {
    const { rows } = await this.db.query<CustomerRow>(
      `UPDATE customers SET processor_customer_id = COALESCE(processor_customer_id, $2), updated_at = now()
       WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, processorCustomerId],
    );
    return toCustomer(rows[0]!);
  }
}
