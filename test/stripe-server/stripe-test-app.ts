import { loadConfig } from '../../src/config.js';
import { createProcessor } from '../../src/processors/index.js';
import type { PaymentProcessor } from '../../src/processors/processor.js';
import type { Database } from '../../src/store/database.js';
import { startTestApp, type TestApp, type TestAppOptions } from '../helpers/app.js';
import { stripeJs, type NewCard } from './stripe-js.js';
import { StripeTestServer } from './stripe-test-server.js';

export interface StripeTestApp extends TestApp {
  /** The Stripe-compatible server the service's SDK talks to. */
  stripe: StripeTestServer;
  /** A new card as Stripe.js makes it in the browser (`tok_visa` by default): a `pm_` id Stripe knows. */
  newCard: NewCard;
}

/** The environment that points PAYMENT_PROCESSOR=stripe at a test server. */
export function stripeEnv(server: StripeTestServer, extra: Record<string, string> = {}): Record<string, string> {
  return { PAYMENT_PROCESSOR: 'stripe', STRIPE_SECRET_KEY: server.secretKey, STRIPE_API_BASE: server.url, ...extra };
}

/** The processor the service would build from that environment: the real SDK, through the factory. */
export function stripeProcessorFactory(env: Record<string, string>): (db: Database) => PaymentProcessor {
  return (db) => createProcessor(loadConfig(env), db);
}

/**
 * The real application with PAYMENT_PROCESSOR=stripe, its SDK talking over loopback to a fresh
 * Stripe test server. `env` overrides variables, e.g. a wrong STRIPE_SECRET_KEY or fewer retries.
 */
export async function startStripeTestApp(
  options: { env?: Record<string, string>; logger?: TestAppOptions['logger']; jwks?: boolean; server?: Parameters<typeof StripeTestServer.start>[0] } = {},
): Promise<StripeTestApp> {
  const stripe = await StripeTestServer.start(options.server);
  const env = stripeEnv(stripe, options.env);
  let app: TestApp;
  try {
    app = await startTestApp({
      env,
      processor: stripeProcessorFactory(env),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.jwks ? { jwks: true } : {}),
    });
  } catch (error) {
    await stripe.close();
    throw error;
  }
  return {
    ...app,
    stripe,
    newCard: stripeJs(stripe),
    async close() {
      await app.close();
      await stripe.close();
    },
  };
}
