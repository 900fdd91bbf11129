import Stripe from 'stripe';
import type { StripeSettings } from '../../config.js';

/**
 * The Stripe API version every request is made with. Pinned so that an account's dashboard setting
 * can never change the objects we parse; it is the version the SDK's types describe, so the type
 * check fails here first when the SDK is upgraded.
 */
export const STRIPE_API_VERSION = '2026-10-28.endive' satisfies Stripe.LatestApiVersion;

/**
 * The SDK client. `timeout` is short enough that a stuck connection surfaces as "outcome unknown"
 * well before the web app's own request gives up; `maxNetworkRetries` lets the SDK retry connection
 * errors, 409 and 5xx with the same Idempotency-Key, which Stripe answers with the first result.
 */
export function createStripeClient(settings: StripeSettings): Stripe {
  return new Stripe(settings.secretKey, {
    apiVersion: STRIPE_API_VERSION,
    timeout: settings.timeoutMs,
    maxNetworkRetries: settings.maxNetworkRetries,
    appInfo: { name: 'communedrop-payment-service' },
    ...(settings.apiBase ? addressOf(settings.apiBase) : {}),
  });
}

function addressOf(base: URL): { protocol: 'http' | 'https'; host: string; port: number } {
  const protocol = base.protocol === 'http:' ? 'http' : 'https';
  return {
    protocol,
    // An IPv6 literal comes bracketed in a URL; node's http wants it bare.
    host: base.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: base.port ? Number(base.port) : protocol === 'http' ? 80 : 443,
  };
}
