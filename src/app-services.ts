import type { Config } from './config.js';
import { CustomerService } from './domain/customers.js';
import { SupersededPaymentService } from './domain/given-up-payments.js';
import { PaymentMethodService } from './domain/payment-methods.js';
import { PaymentService } from './domain/payments.js';
import type { Logger } from './domain/processor-errors.js';
import { Reconciler } from './domain/reconciler.js';
import { RefundService } from './domain/refunds.js';
import type { PaymentProcessor } from './processors/processor.js';
import { CustomersRepository } from './store/customers-repository.js';
import type { Database } from './store/database.js';
import { IdempotencyKeysRepository } from './store/idempotency-keys-repository.js';
import { PaymentMethodsRepository } from './store/payment-methods-repository.js';
import { PaymentsRepository } from './store/payments-repository.js';
import { RefundsRepository } from './store/refunds-repository.js';

/** The use cases the routes call, and the jobs that run beside them. */
export interface AppServices {
  customers: CustomerService;
  paymentMethods: PaymentMethodService;
  payments: PaymentService;
  refunds: RefundService;
  reconciler: Reconciler;
  idempotencyKeys: IdempotencyKeysRepository;
}

/** Wires repositories, the processor and the use cases together: the one place that knows them all. */
export function createServices(db: Database, processor: PaymentProcessor, logger: Logger, config: Pick<Config, 'reconciler' | 'idempotency'>): AppServices {
  const cards = new PaymentMethodsRepository(db);
  const paymentsRepository = new PaymentsRepository(db);
  const refundsRepository = new RefundsRepository(db);
  const idempotencyKeys = new IdempotencyKeysRepository(db);
  const customers = new CustomerService(new CustomersRepository(db), processor, logger);
  const payments = new PaymentService(customers, cards, paymentsRepository, processor, logger);
  const refunds = new RefundService(payments, refundsRepository, processor, logger);
  const superseded = new SupersededPaymentService(payments, refunds, logger);
  payments.whenSuperseded((payment) => superseded.settle(payment));
  return {
    customers,
    paymentMethods: new PaymentMethodService(customers, cards, processor, logger),
    payments,
    refunds,
    reconciler: new Reconciler(payments, refunds, paymentsRepository, refundsRepository, idempotencyKeys, logger, {
      graceMs: config.reconciler.graceMs,
      leaseMs: config.reconciler.leaseMs,
      batchSize: 20,
      idempotencyKeyTtlMs: config.idempotency.ttlMs,
      refundWatchMs: config.reconciler.refundWatchMs,
      refundRecheckMs: config.reconciler.refundRecheckMs,
    }),
    idempotencyKeys,
  };
}
