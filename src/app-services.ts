import { CustomerService } from './domain/customers.js';
import { PaymentMethodService } from './domain/payment-methods.js';
import { PaymentService } from './domain/payments.js';
import type { Logger } from './domain/processor-errors.js';
import { RefundService } from './domain/refunds.js';
import type { PaymentProcessor } from './processors/processor.js';
import { CustomersRepository } from './store/customers-repository.js';
import type { Database } from './store/database.js';
import { PaymentMethodsRepository } from './store/payment-methods-repository.js';
import { PaymentsRepository } from './store/payments-repository.js';
import { RefundsRepository } from './store/refunds-repository.js';

/** The use cases the routes call. */
export interface AppServices {
  customers: CustomerService;
  paymentMethods: PaymentMethodService;
  payments: PaymentService;
  refunds: RefundService;
}

/** Wires repositories, the processor and the use cases together: the one place that knows them all. */
export function createServices(db: Database, processor: PaymentProcessor, logger: Logger): AppServices {
  const cards = new PaymentMethodsRepository(db);
  const customers = new CustomerService(new CustomersRepository(db), processor, logger);
  const payments = new PaymentService(customers, cards, new PaymentsRepository(db), processor, logger);
  return {
    customers,
    paymentMethods: new PaymentMethodService(customers, cards, processor, logger),
    payments,
    refunds: new RefundService(payments, new RefundsRepository(db), processor, logger),
  };
}
