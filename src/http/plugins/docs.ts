import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/** OpenAPI 3 generated from the route schemas: Swagger UI at /payment/api-docs, JSON at /payment/api-docs.json. */
export async function registerDocs(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'CommuneDrop Payment Service',
        version: '1.0.0',
        description:
          'Customers, saved cards, payments and refunds for CommuneDrop. Amounts are integers in minor units ' +
          '(2500 = $25.00). Every answer is `{success, data}`; every error is `{success:false, message, code}`.',
      },
      tags: [
        { name: 'customers', description: 'One customer per email' },
        { name: 'payment-methods', description: 'Saved cards (processor tokens only)' },
        { name: 'payments', description: 'Charging a card' },
        { name: 'refunds', description: 'Giving money back' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/payment/api-docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  app.get('/payment/api-docs.json', { schema: { hide: true } }, async () => app.swagger());
}
