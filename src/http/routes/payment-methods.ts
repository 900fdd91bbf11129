import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { AppServices } from '../../app-services.js';
import type { RouteAccess } from '../access.js';
import { presentAttachedCard, presentSavedCard } from '../presenters.js';
import { Envelope, EnvelopeWithMessage, errorResponses, PROCESSOR_ERRORS } from '../schemas/common.js';
import {
  AttachedPaymentMethod,
  AttachPaymentMethodBody,
  CustomerIdParams,
  DeletedPaymentMethod,
  PaymentMethodDetailsBody,
  SavedPaymentMethod,
  SetDefaultPaymentMethodBody,
} from '../schemas/payment-methods.js';

/** A customer changes only its own cards; another customer's id answers as an unknown one. */
const OWNER_WRITES: RouteAccess = { rule: 'write', owner: { customerId: 'body.customerId' } };

const ATTACH_ERRORS = errorResponses('customer_not_found', 'payment_method_not_found', 'payment_method_unusable', 'card_declined', ...PROCESSOR_ERRORS);

export const paymentMethodRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  app.post(
    '/payment/payment-method',
    {
      config: { access: OWNER_WRITES },
      schema: {
        tags: ['payment-methods'],
        operationId: 'savePaymentMethod',
        summary: 'Save a card for a customer',
        description: 'Attaches the processor token to the customer. Saving the same card again is harmless (200); the first card becomes the default.',
        body: AttachPaymentMethodBody,
        response: { 200: Envelope(AttachedPaymentMethod), 201: Envelope(AttachedPaymentMethod), ...ATTACH_ERRORS },
      },
    },
    async (request, reply) => {
      const { card, created } = await services.paymentMethods.attach(request.body.customerId, request.body.paymentMethodId);
      return reply.status(created ? 201 : 200).send({ success: true, data: presentAttachedCard(card) });
    },
  );

  app.post(
    '/payment/payment-method-details',
    {
      config: { access: OWNER_WRITES },
      schema: {
        tags: ['payment-methods'],
        operationId: 'savePaymentMethodWithDetails',
        summary: 'Save a card with its display details',
        description:
          'As POST /payment/payment-method, with the cardholder name and default flag. Brand, last4 and expiry are checked, ' +
          'but the processor\'s own values are stored whenever it has them; where a well-formed value differs from the ' +
          'processor\'s, `message` says so. The placeholders the CommuneDrop web app sends when Stripe.js lacks a value ' +
          '(`last4` "****", `expiryDate` "**/**", `cardType` "unknown", `cardholderName` "Card Holder") are accepted and say nothing.',
        body: PaymentMethodDetailsBody,
        response: {
          200: EnvelopeWithMessage(SavedPaymentMethod, 'Payment method updated'),
          201: EnvelopeWithMessage(SavedPaymentMethod, 'Payment method added'),
          ...ATTACH_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const { customerId, paymentMethodId, ...details } = request.body;
      const { card, created, differences } = await services.paymentMethods.attach(customerId, paymentMethodId, details);
      const done = created ? 'Payment method added' : 'Payment method updated';
      const message = differences.length === 0 ? done : `${done}; the processor's card details were stored where the request differed: ${differences.join(', ')}`;
      return reply.status(created ? 201 : 200).send({ success: true, message, data: presentSavedCard(card) });
    },
  );

  app.put(
    '/payment/payment-method',
    {
      config: { access: OWNER_WRITES },
      schema: {
        tags: ['payment-methods'],
        operationId: 'setDefaultPaymentMethod',
        summary: 'Make a saved card the default',
        body: SetDefaultPaymentMethodBody,
        response: { 200: EnvelopeWithMessage(SavedPaymentMethod, 'Default payment method updated'), ...errorResponses('customer_not_found', 'payment_method_not_found') },
      },
    },
    async (request) => {
      const card = await services.paymentMethods.setDefault(request.body.customerId, request.body.paymentMethodId);
      return { success: true as const, message: 'Default payment method updated', data: presentSavedCard(card) };
    },
  );

  app.delete(
    '/payment/payment-method',
    {
      config: { access: OWNER_WRITES },
      schema: {
        tags: ['payment-methods'],
        operationId: 'deletePaymentMethod',
        summary: 'Delete a saved card',
        description: 'Detaches the card at the processor. When it was the default, the most recently added remaining card becomes the default.',
        body: AttachPaymentMethodBody,
        response: {
          200: EnvelopeWithMessage(DeletedPaymentMethod, 'Payment method deleted successfully'),
          ...errorResponses('customer_not_found', 'payment_method_not_found', ...PROCESSOR_ERRORS),
        },
      },
    },
    async (request) => {
      await services.paymentMethods.remove(request.body.customerId, request.body.paymentMethodId);
      const message = 'Payment method deleted successfully';
      return { success: true as const, message, data: { success: true as const, message } };
    },
  );

  app.get(
    '/payment/payment-methods/:customerId',
    {
      config: { access: { rule: 'read', owner: { customerId: 'params.customerId' } } },
      schema: {
        tags: ['payment-methods'],
        operationId: 'listPaymentMethods',
        summary: 'List a customer\'s saved cards',
        description: 'Default card first, then in the order they were added.',
        params: CustomerIdParams,
        response: { 200: Envelope(Type.Array(SavedPaymentMethod)), ...errorResponses('customer_not_found') },
      },
    },
    async (request) => {
      const cards = await services.paymentMethods.list(request.params.customerId);
      return { success: true as const, data: cards.map(presentSavedCard) };
    },
  );
};
