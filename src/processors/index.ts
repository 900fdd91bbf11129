import type { Config } from '../config.js';
import type { Database } from '../store/database.js';
import { SimulatedLedger } from '../store/simulated-ledger.js';
import type { PaymentProcessor } from './processor.js';
import { SimulatedProcessor } from './simulated/simulated-processor.js';
import { createStripeClient } from './stripe/stripe-client.js';
import { StripeProcessor } from './stripe/stripe-processor.js';

/**
 * The processor PAYMENT_PROCESSOR names. `publicUrl` is how clients reach the service, for the
 * simulated processor's 3-D Secure page (read when a payment needs it).
 */
export function createProcessor(config: Config, db: Database, publicUrl: () => string = () => config.publicUrl ?? ''): PaymentProcessor {
  switch (config.paymentProcessor) {
    case 'simulated':
      return new SimulatedProcessor(new SimulatedLedger(db), {}, { publicUrl });
    case 'stripe':
      // loadConfig sets the settings whenever it accepts PAYMENT_PROCESSOR=stripe.
      if (!config.stripe) throw new Error('PAYMENT_PROCESSOR=stripe without Stripe settings');
      return new StripeProcessor(createStripeClient(config.stripe));
  }
}
