import type { Config } from '../config.js';
import type { Database } from '../store/database.js';
import { SimulatedLedger } from '../store/simulated-ledger.js';
import type { PaymentProcessor } from './processor.js';
import { SimulatedProcessor } from './simulated/simulated-processor.js';

/** The processor PAYMENT_PROCESSOR names. */
export function createProcessor(config: Config, db: Database): PaymentProcessor {
  switch (config.paymentProcessor) {
    case 'simulated':
      return new SimulatedProcessor(new SimulatedLedger(db));
    case 'stripe':
      throw new Error('PAYMENT_PROCESSOR=stripe is not available in this build');
  }
}
