import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AppServices } from '../../app-services.js';
import { STRIPE_WEBHOOK_PATH } from '../../processors/processor-events.js';
import { Envelope, errorResponses } from '../schemas/common.js';

/** Stripe's events are small, but a charge with its details may pass the API's own body limit. */
const EVENT_BODY_LIMIT = 256 * 1024;

const Received = Envelope(
  Type.Object({
    eventId: Type.String({ description: 'The event\'s id (evt_...).', examples: ['evt_1234567890'] }),
    type: Type.String({ description: 'The event\'s type.', examples: ['payment_intent.succeeded'] }),
    duplicate: Type.Boolean({ description: 'True when this event id was received before: nothing new is done.' }),
  }),
);

/**
 * Stripe's events in: open (Stripe sends no bearer token; the Stripe-Signature header, checked on
 * the raw body against STRIPE_WEBHOOK_SECRET, is what lets an event in), answered as soon as the
 * event is stored, processed after. The body stays bytes in this plugin only: a signature is over
 * the exact bytes sent, which parsing and serializing again would not give back.
 */
export const webhookRoutes: FastifyPluginAsyncTypebox<{ services: AppServices; bodyLimitBytes: number }> = async (app, { services, bodyLimitBytes }) => {
  const bodyLimit = Math.max(bodyLimitBytes, EVENT_BODY_LIMIT);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  app.post(
    STRIPE_WEBHOOK_PATH,
    {
      bodyLimit,
      // Not rate limited, like the probes: a busy account's events (several per payment) come in bursts from a few
      // addresses, and a 429 only delays them; a forged event costs one HMAC and is refused before anything is stored.
      config: { access: 'open', rateLimit: false },
      schema: {
        tags: ['webhooks'],
        operationId: 'receiveStripeEvent',
        summary: 'Receive an event from Stripe',
        description:
          'Stripe\'s webhook endpoint: a Stripe Event (JSON), signed in the `Stripe-Signature` header with the endpoint\'s secret ' +
          '(STRIPE_WEBHOOK_SECRET; any of several while one is rotated) at most 300 s ago. Each event id is processed once; the answer ' +
          'comes as soon as the event is stored, the work after. Payment intent, refund and dispute events are handled; others are stored and ignored.',
        response: {
          200: Received,
          ...errorResponses('webhook_signature_invalid', 'validation_failed', 'service_unavailable', 'payload_too_large', 'unsupported_media_type'),
        },
      },
    },
    async (request) => {
      const signature = request.headers['stripe-signature'];
      const received = await services.webhooks.receive(request.body as Buffer, Array.isArray(signature) ? signature[0] : signature);
      return { success: true as const, data: received };
    },
  );
};
