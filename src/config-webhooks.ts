import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { deriveToken } from './crypto/derived-token.js';

/** The variables of the processor's events (Stripe webhooks), spread into the one schema in config.ts. */
export const WEBHOOK_ENV = {
  STRIPE_WEBHOOK_SECRET: Type.Optional(
    Type.String({
      secret: true,
      minLength: 1,
      description:
        'Signing secret(s) of the webhook endpoint (whsec_...), comma-separated while one is rotated: an event signed with any of them is accepted. ' +
        'Unset: with the simulated processor outside production a development secret is derived; otherwise the endpoint answers 503.',
    }),
  ),
  SIMULATED_WEBHOOKS: Type.Union([Type.Literal('on'), Type.Literal('off')], {
    default: 'on',
    description: 'on: the simulated processor sends its events, signed, to the service\'s own webhook endpoint (PUBLIC_URL), as Stripe would.',
  }),
};

/** How the processor's events are accepted. */
export interface WebhookConfig {
  /** STRIPE_WEBHOOK_SECRET as listed; empty when unset. */
  secrets: string[];
  /** A development secret may stand in for an unset STRIPE_WEBHOOK_SECRET (simulated processor, outside production). */
  developmentSecretAllowed: boolean;
  /** The simulated processor delivers its events to the service's endpoint. */
  simulatedDelivery: boolean;
}

export function webhookConfig(
  e: { NODE_ENV: string; PAYMENT_PROCESSOR: string; STRIPE_WEBHOOK_SECRET?: string | undefined; SIMULATED_WEBHOOKS: 'on' | 'off' },
  fail: (message: string) => never,
): WebhookConfig {
  const secrets = (e.STRIPE_WEBHOOK_SECRET ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  secrets.forEach((secret, index) => {
    // Never echoed: a wrong value may still be a real secret (an sk_ key) pasted in the wrong place.
    if (!/^whsec_[A-Za-z0-9_]+$/.test(secret)) {
      const hint = /^(sk|rk|pk)_/.test(secret) ? '; that is an API key, not the webhook endpoint\'s signing secret' : '';
      fail(
        `Invalid configuration: STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret(s) (whsec_...), comma-separated; ` +
          `entry ${index + 1} is not (got ${secret.length} characters${hint})`,
      );
    }
  });
  return {
    secrets,
    developmentSecretAllowed: e.NODE_ENV !== 'production' && e.PAYMENT_PROCESSOR === 'simulated',
    simulatedDelivery: e.PAYMENT_PROCESSOR === 'simulated' && e.SIMULATED_WEBHOOKS === 'on',
  };
}

// Without a user-token secret to derive from (service tokens only), one secret per process: the
// simulated processor only ever signs for the service it runs in.
let processSecret: string | undefined;

/**
 * The secrets an event's signature may verify with, the first also signing the simulated
 * processor's events. Without STRIPE_WEBHOOK_SECRET, where allowed, one derived from the user-token
 * secret (so every instance on one development secret agrees, and restarts keep it); else none.
 */
export function webhookSecrets(config: { webhooks: WebhookConfig; auth: { userTokens: { secret: string | undefined } } }): string[] {
  if (config.webhooks.secrets.length > 0) return config.webhooks.secrets;
  if (!config.webhooks.developmentSecretAllowed) return [];
  const base = config.auth.userTokens.secret ?? (processSecret ??= randomBytes(32).toString('hex'));
  return [`whsec_${deriveToken('simulated-webhooks', base).replace(/[^A-Za-z0-9]/g, '0')}`];
}
