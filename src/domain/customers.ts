import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { PaymentProcessor, ProcessorCustomer } from '../processors/processor.js';
import type { CustomersRepository } from '../store/customers-repository.js';
import type { Customer } from './models.js';
import { processorKey } from './processor-keys.js';
import { toAppError, type Logger } from './processor-errors.js';

/**
 * The form emails are compared in: trimmed, ASCII letters lower-cased and nothing else. Full
 * Unicode case folding would make two addresses the Auth Service keeps apart (the Kelvin sign K
 * and a plain k, say) one customer here, and let one user reach the other's records.
 */
export function normalizeEmail(email: string): string {
  return email.trim().replace(/[A-Z]/g, (letter) => letter.toLowerCase());
}

/** A customer known to the processor: its `processorCustomerId` is set. */
export type ActiveCustomer = Customer & { processorCustomerId: string };

export class CustomerService {
  constructor(
    private readonly customers: CustomersRepository,
    private readonly processor: PaymentProcessor,
    private readonly logger: Logger,
  ) {}

  /**
   * One customer per email, whatever its case. The row is written first and the processor is asked
   * with a key derived from it, so concurrent or retried creations end with one processor customer.
   */
  async create(input: { email: string; name: string | null; ownerSubject?: string | null }): Promise<{ customer: ActiveCustomer; created: boolean }> {
    const emailNormalized = normalizeEmail(input.email);
    const existing = await this.customers.findByNormalizedEmail(emailNormalized);
    if (existing && isActive(existing)) return { customer: existing, created: false };

    const inserted = existing
      ? null
      : await this.customers.insertPending({ id: randomUUID(), email: input.email.trim(), emailNormalized, name: input.name, ownerSubject: input.ownerSubject ?? null });
    const pending = inserted ?? existing ?? (await this.customers.findByNormalizedEmail(emailNormalized));
    if (!pending) throw new Error(`customer row for ${emailNormalized} vanished`);
    if (isActive(pending)) return { customer: pending, created: false };

    try {
      const processorCustomer =
        (await this.findAtProcessor(pending)) ??
        (await this.processor.createCustomer(
          { email: emailNormalized, name: pending.name, metadata: { customer_ref: pending.id } },
          processorKey('customer-create', pending.id),
        ));
      const customer = await this.customers.setProcessorId(pending.id, processorCustomer.id);
      return { customer: customer as ActiveCustomer, created: inserted !== null };
    } catch (error) {
      throw toAppError(error, 'customer_not_found', this.logger);
    }
  }

  /**
   * The processor's customer for this email. The processor compares emails exactly, so the stored
   * lower-case form is asked (what we send it), then the form as typed when it differs (customers
   * made before we sent it lower-cased). Of several, the oldest is ours and the others are logged.
   */
  private async findAtProcessor(customer: Customer): Promise<ProcessorCustomer | null> {
    const forms = [...new Set([normalizeEmail(customer.email), customer.email])];
    const found = (await Promise.all(forms.map((form) => this.processor.findCustomersByEmail(form)))).flat();
    // Lists come newest first: reversed, a stable sort keeps the older of two made in the same second first.
    const oldestFirst = found.reverse().sort((a, b) => a.created.getTime() - b.created.getTime());
    const [oldest, ...others] = oldestFirst;
    if (oldest && others.length > 0) {
      this.logger.warn(
        { customerRef: customer.id, kept: oldest.id, duplicates: others.map((c) => c.id) },
        'several processor customers share this email; the oldest is used, merge or delete the others at the processor',
      );
    }
    return oldest ?? null;
  }

  /** The customer of an email, if there is one, known to the processor or not (for ownership checks). */
  findByEmail(email: string): Promise<Customer | null> {
    return this.customers.findByNormalizedEmail(normalizeEmail(email));
  }

  async getByEmail(email: string): Promise<ActiveCustomer> {
    const customer = await this.customers.findByNormalizedEmail(normalizeEmail(email));
    if (!customer || !isActive(customer)) throw customerNotFound('email', email);
    return customer;
  }

  /** Finds a customer by our own row id; null when there is none or the processor does not know it yet. */
  async findById(id: string): Promise<ActiveCustomer | null> {
    const customer = await this.customers.findById(id);
    return customer && isActive(customer) ? customer : null;
  }

  /** Finds a customer by the id clients use (cus_...). */
  async getByCustomerId(customerId: string): Promise<ActiveCustomer> {
    const customer = await this.customers.findByProcessorId(customerId);
    if (!customer || !isActive(customer)) throw customerNotFound('id', customerId);
    return customer;
  }
}

/** The answer for a customer that is not there, or not the caller's to see: the two must not differ. */
export function customerNotFound(by: 'email' | 'id', value: string): AppError {
  return new AppError('customer_not_found', `No customer with ${by} ${value}`);
}

function isActive(customer: Customer): customer is ActiveCustomer {
  return customer.processorCustomerId !== null;
}
