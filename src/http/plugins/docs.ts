import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { requireDocumentedOperations } from './api-document.js';

/** Swagger UI, the OpenAPI document and their assets live under this path; all of it is open. */
export const DOCS_PREFIX = '/payment/api-docs';

/** The terms of use the document's `info.license` points to (the package is UNLICENSED: proprietary). */
const LICENSE_TEXT =
  'The CommuneDrop Payment Service API, its document and its generated clients are proprietary to CommuneDrop.\n' +
  'They may be used by CommuneDrop\'s own services and applications and by the teams that build them;\n' +
  'no licence is granted to anyone else.\n';

/**
 * OpenAPI 3 generated from the route schemas: Swagger UI at /payment/api-docs, JSON at
 * /payment/api-docs.json. Register it before any route: every route after it must be a complete
 * operation of the document (see `requireDocumentedOperations`).
 */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  requireDocumentedOperations(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'CommuneDrop Payment Service',
        version: '1.0.0',
        description:
          'Customers, saved cards, payments and refunds for CommuneDrop. Amounts are integers in minor units ' +
          '(2500 = $25.00). Every answer is `{success, data}` (a few add `message`; the payment list adds `has_more` and ' +
          '`next_cursor`); every error is `{success:false, message, code}`.',
        license: { name: 'Proprietary: CommuneDrop internal use', url: `${DOCS_PREFIX}/license` },
      },
      // Paths are absolute from the host that serves this document, whatever its name.
      servers: [{ url: '/', description: 'The host that serves this document' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              'A user token of the Auth Service (HS256) or a service token from its client-credentials endpoint (RS256/ES256). ' +
              'Missing or invalid: 401 unauthorized. Valid but not allowed: 403 forbidden; another customer\'s data answers 404.',
          },
        },
      },
      tags: [
        { name: 'customers', description: 'One customer per email' },
        { name: 'payment-methods', description: 'Saved cards (processor tokens only)' },
        { name: 'payments', description: 'Charging a card' },
        { name: 'refunds', description: 'Giving money back' },
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'webhooks', description: 'Events from the payment processor (Stripe)' },
        { name: 'deliveries', description: 'Delivery fee quotes, and payments captured when the delivery is reported' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get(`${DOCS_PREFIX}.json`, { schema: { hide: true }, config: { access: 'open' } }, async () => app.swagger());
  app.get(`${DOCS_PREFIX}/license`, { schema: { hide: true }, config: { access: 'open' } }, async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send(LICENSE_TEXT),
  );
}
