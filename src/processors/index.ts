import type { Config } from '../config.js';
import { webhookSecrets } from '../config-webhooks.js';
import type { Database } from '../store/database.js';
import { SimulatedLedger } from '../store/simulated-ledger.js';
import { STRIPE_WEBHOOK_PATH } from './processor-events.js';
import type { PaymentProcessor } from './processor.js';
import { httpEventSink } from './simulated/event-delivery.js';
import { SimulatedProcessor } from './simulated/simulated-processor.js';
import { createStripeClient } from './stripe/stripe-client.js';
import { StripeProcessor } from './stripe/stripe-processor.js';

/**
 * The processor PAYMENT_PROCESSOR names. `publicUrl` is how clients reach the service, for the
 * simulated processor's 3-D Secure page (read when a payment needs it).
 */
export function createProcessor(config: Config, db: Database, publicUrl: () => string = () => config.publicUrl ?? ''): PaymentProcessor {
  switch (config.paymentProcessor) {
    case 'simulated': {
      // Its events go to the service's own endpoint, signed like Stripe's, so the webhook path runs without Stripe.
      const secret = webhookSecrets(config)[0];
      const delivery = config.webhooks.simulatedDelivery && secret ? { sink: httpEventSink(() => `${publicUrl()}${STRIPE_WEBHOOK_PATH}`), secret: () => secret } : undefined;
      return new SimulatedProcessor(new SimulatedLedger(db), {}, { publicUrl, ...(delivery ? { delivery } : {}) });
    }
    case 'stripe':
      // loadConfig sets the settings whenever it accepts PAYMENT_PROCESSOR=stripe.
      if (!config.stripe) throw new Error('PAYMENT_PROCESSOR=stripe without Stripe settings');
      return new StripeProcessor(createStripeClient(config.stripe));
  }
}
