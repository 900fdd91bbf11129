import type { Config } from './config.js';
import { webhookSecrets } from './config-webhooks.js';
import { DataCipher } from './crypto/data-cipher.js';
import { processDataKeys } from './crypto/development-data-key.js';
import { forwardedTokenContext } from './domain/order-notifications.js';
import { DeliveryService, DeliveryTerms } from './domain/deliveries.js';
import type { PeerToken } from './domain/quotes.js';
import { QuoteService } from './domain/quotes.js';
import { AuthorizationWatchdog } from './jobs/authorization-watchdog.js';
import { OutboxRelay } from './jobs/outbox-relay.js';
import { DeliveryCheckClient } from './peers/delivery-check.js';
import { LocationServiceClient, unavailable } from './peers/location-service.js';
import { DeliveriesRepository } from './store/deliveries-repository.js';
import { QuotesRepository } from './store/quotes-repository.js';
import { OrderServiceClient } from './peers/order-service.js';
import { ServiceTokenSource } from './peers/service-token.js';
import { CustomerService } from './domain/customers.js';
import { SupersededPaymentService } from './domain/given-up-payments.js';
import { PaymentMethodService } from './domain/payment-methods.js';
import { PaymentService } from './domain/payments.js';
import type { Logger } from './domain/processor-errors.js';
import { Reconciler } from './domain/reconciler.js';
import { RefundService } from './domain/refunds.js';
import { WebhookService } from './domain/webhooks.js';
import type { PaymentProcessor } from './processors/processor.js';
import { stripeWebhookCodec } from './processors/stripe/webhook-events.js';
import { CustomersRepository } from './store/customers-repository.js';
import type { Database } from './store/database.js';
import { IdempotencyKeysRepository } from './store/idempotency-keys-repository.js';
import { OutboxRepository } from './store/outbox-repository.js';
import { PaymentMethodsRepository } from './store/payment-methods-repository.js';
import { PaymentsRepository } from './store/payments-repository.js';
import { RefundsRepository } from './store/refunds-repository.js';
import { SealedFields } from './store/sealed-field.js';
import { WebhookEventsRepository } from './store/webhook-events-repository.js';

/** The use cases the routes call, and the jobs that run beside them. */
export interface AppServices {
  customers: CustomerService;
  paymentMethods: PaymentMethodService;
  payments: PaymentService;
  refunds: RefundService;
  reconciler: Reconciler;
  idempotencyKeys: IdempotencyKeysRepository;
  outbox: OutboxRepository;
  /** Delivers the outbox to the Order Service; null when ORDER_SERVICE_URL is unset (notifications off). */
  relay: OutboxRelay | null;
  webhooks: WebhookService;
  quotes: QuoteService;
  deliveries: DeliveryService;
  authorizationWatchdog: AuthorizationWatchdog;
  /** Seals and opens the personal data at rest, under DATA_ENCRYPTION_KEY. */
  sealedFields: SealedFields;
}

/** Wires repositories, the processor and the use cases together: the one place that knows them all. */
export function createServices(
  db: Database,
  processor: PaymentProcessor,
  logger: Logger,
  config: Pick<Config, 'reconciler' | 'idempotency' | 'notifications' | 'clientCredentials' | 'dataKeys' | 'webhooks' | 'auth' | 'delivery'>,
  now: () => Date = () => new Date(),
): AppServices {
  const sealedFields = new SealedFields(db, new DataCipher(config.dataKeys ?? processDataKeys()));
  const cards = new PaymentMethodsRepository(db, sealedFields);
  const outbox = new OutboxRepository(db);
  const cipher = config.notifications ? sealedFields.cipher : null;
  const relay = cipher ? createRelay(outbox, cipher, logger, config) : null;
  const paymentsRepository = new PaymentsRepository(
    db,
    relay && config.notifications
      ? { policy: { successStatus: config.notifications.successStatus, failureStatus: config.notifications.failureStatus }, queued: () => relay.kick() }
      : null,
  );
  const refundsRepository = new RefundsRepository(db);
  const idempotencyKeys = new IdempotencyKeysRepository(db);
  const customers = new CustomerService(new CustomersRepository(db, sealedFields), processor, logger);
  const sealForwardedToken = cipher ? (paymentId: string, token: string) => cipher.encrypt(token, forwardedTokenContext(paymentId)) : null;
  const delivery = config.delivery;
  const deliveriesRepository = new DeliveriesRepository(db);
  const quotes = new QuoteService(
    new QuotesRepository(db),
    delivery.locationServiceUrl ? new LocationServiceClient({ baseUrl: delivery.locationServiceUrl, timeoutMs: delivery.timeoutMs }) : null,
    peerToken(config, delivery.locationTokenScope, delivery.timeoutMs),
    { fareTable: delivery.fareTable, ttlMs: delivery.quoteTtlMs, distanceCacheMs: delivery.distanceCacheMs },
    now,
  );
  const terms = new DeliveryTerms(
    quotes,
    deliveriesRepository,
    delivery.deliveryCheckUrl ? new DeliveryCheckClient({ baseUrl: delivery.deliveryCheckUrl, timeoutMs: delivery.timeoutMs }) : null,
    peerToken(config, delivery.deliveryCheckTokenScope, delivery.timeoutMs),
    { requireQuote: delivery.requireQuote, names: config.auth.names },
    now,
  );
  const payments = new PaymentService(customers, cards, paymentsRepository, processor, logger, now, sealForwardedToken, terms);
  const deliveries = new DeliveryService(payments, deliveriesRepository, logger, now);
  const refunds = new RefundService(payments, refundsRepository, processor, logger);
  const superseded = new SupersededPaymentService(payments, refunds, logger);
  payments.whenSuperseded((payment) => superseded.settle(payment));
  const webhooks = new WebhookService(
    { events: new WebhookEventsRepository(db), payments, paymentsRepository, refunds, processor, codec: stripeWebhookCodec, logger },
    { secrets: webhookSecrets(config), leaseMs: config.reconciler.leaseMs },
  );
  return {
    customers,
    paymentMethods: new PaymentMethodService(customers, cards, processor, logger),
    payments,
    refunds,
    reconciler: new Reconciler(payments, refunds, paymentsRepository, refundsRepository, idempotencyKeys, logger, {
      graceMs: config.reconciler.graceMs,
      leaseMs: config.reconciler.leaseMs,
      batchSize: 20,
      // A pass over many rows is bound by its round trips, not the machine: a few at once.
      concurrency: 8,
      idempotencyKeyTtlMs: config.idempotency.ttlMs,
      refundWatchMs: config.reconciler.refundWatchMs,
      refundRecheckMs: config.reconciler.refundRecheckMs,
    }, webhooks),
    idempotencyKeys,
    outbox,
    relay,
    webhooks,
    quotes,
    deliveries,
    authorizationWatchdog: new AuthorizationWatchdog(deliveries, logger, delivery.warnBeforeMs),
    sealedFields,
  };
}

/**
 * The token a call to a peer carries: the service's own from the client credentials, asked with
 * the peer's scope, when they are configured; else the caller's, forwarded.
 */
function peerToken(config: Pick<Config, 'clientCredentials'>, scope: string, timeoutMs: number): PeerToken {
  const source = config.clientCredentials ? new ServiceTokenSource({ ...config.clientCredentials, scope }, timeoutMs) : null;
  return async (callerToken) => {
    if (!source) return callerToken ?? null;
    try {
      return await source.token();
    } catch (error) {
      throw unavailable(`No service token for the call: the Auth Service's token endpoint failed (${(error as Error).message})`);
    }
  };
}

function createRelay(outbox: OutboxRepository, cipher: DataCipher, logger: Logger, config: Pick<Config, 'notifications' | 'clientCredentials'>): OutboxRelay {
  const settings = config.notifications!;
  const tokens = config.clientCredentials ? new ServiceTokenSource(config.clientCredentials, settings.timeoutMs) : null;
  return new OutboxRelay(outbox, new OrderServiceClient({ baseUrl: settings.orderServiceUrl, timeoutMs: settings.timeoutMs }), cipher, tokens, logger, {
    maxAttempts: settings.maxAttempts,
    maxAgeMs: settings.maxAgeMs,
    backoffMaxMs: settings.backoffMaxMs,
    backoffBaseMs: Math.min(500, settings.backoffMaxMs),
    // A token fetch and two calls fit in it, so a row is never sent by two instances at once.
    leaseMs: Math.max(5000, settings.timeoutMs * 3 + 2000),
    batchSize: 20,
  });
}
