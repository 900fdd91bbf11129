import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../../app-services.js';
import { Envelope, errorResponses, PROCESSOR_ERRORS } from '../schemas/common.js';
import { CreateCustomerBody, CustomerAnswer, CustomerData, CustomerEmailParams } from '../schemas/customers.js';

export const customerRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  app.post(
    '/payment/customer',
    {
      // A customer may create only its own record; asking for another email is refused outright.
      config: { access: { rule: 'write', owner: { email: 'body.email', otherwise: 'forbidden' } } },
      schema: {
        tags: ['customers'],
        operationId: 'createCustomer',
        summary: 'Create a customer (or answer the existing one for that email)',
        description: 'One customer per email, whatever its case: a new email answers 201, a known one 200 with the existing id.',
        body: CreateCustomerBody,
        response: { 200: CustomerAnswer, 201: CustomerAnswer, ...errorResponses(...PROCESSOR_ERRORS) },
      },
    },
    async (request, reply) => {
      // A customer token's user id is kept with the record it creates: the record is that user's, not the address's.
      const ownerSubject = request.actsAsCustomer ? (request.principal?.subject ?? null) : null;
      const { customer, created } = await services.customers.create({ email: request.body.email, name: request.body.name ?? null, ownerSubject });
      const customerId = customer.processorCustomerId;
      return reply.status(created ? 201 : 200).send({ success: true, customerId, data: { customerId } });
    },
  );

  app.get(
    '/payment/customer/:email',
    {
      // Another customer's email answers as an unknown one, so emails cannot be probed.
      config: { access: { rule: 'read', owner: { email: 'params.email', otherwise: 'not_found' } } },
      schema: {
        tags: ['customers'],
        operationId: 'getCustomerByEmail',
        summary: 'Find a customer by email',
        description: 'The email is URL-encoded in the path. 404 means there is no customer yet.',
        params: CustomerEmailParams,
        response: { 200: Envelope(CustomerData), ...errorResponses('customer_not_found') },
      },
    },
    async (request) => {
      const customer = await services.customers.getByEmail(request.params.email);
      // The document's shape: the web app reads a top-level customerId here only if present, else data.customerId.
      return { success: true as const, data: { customerId: customer.processorCustomerId } };
    },
  );
};
