import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../../app-services.js';
import { requestKeyOf } from '../plugins/idempotency.js';
import { presentPaymentDetails, presentPaymentIntent } from '../presenters.js';
import { Envelope, errorResponses, PROCESSOR_ERRORS } from '../schemas/common.js';
import {
  CapturePaymentIntentBody,
  CreatePaymentIntentBody,
  PaymentIntentData,
  PaymentIntentDetails,
  PaymentIntentParams,
} from '../schemas/payments.js';

export const paymentIntentRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  app.post(
    '/payment/payment-intent',
    {
      config: { access: { rule: 'create-payment', owner: { customerId: 'body.customerId' } } },
      schema: {
        tags: ['payments'],
        operationId: 'createPaymentIntent',
        summary: 'Charge a customer\'s card',
        description:
          'Creates and confirms a payment intent. `succeeded` (or `requires_capture` with captureMethod manual) is 200; ' +
          '`requires_action` is 200 with `next_action` and `client_secret` for Stripe.js to finish 3-D Secure; a declined ' +
          'card is 402 `card_declined` with Stripe\'s `decline_code` (the attempt is recorded; a new attempt for the order is allowed). ' +
          'An order that already has a live or successful payment is 409 `order_already_paid`.',
        body: CreatePaymentIntentBody,
        response: {
          200: Envelope(PaymentIntentData),
          ...errorResponses(
            'invalid_amount', 'amount_below_minimum', 'card_declined', 'customer_not_found', 'payment_method_not_found',
            'payment_method_unusable', 'order_already_paid', ...PROCESSOR_ERRORS,
          ),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const payment = await services.payments.create({
        amount: body.amount,
        currency: body.currency,
        customerId: body.customerId,
        paymentMethodId: body.paymentMethodId,
        orderId: body.orderId,
        description: body.description,
        returnUrl: body.returnUrl,
        captureMethod: body.captureMethod,
      }, { requestKey: requestKeyOf(request), bearerToken: request.bearerToken, traceparent: request.traceContext?.traceparent });
      return { success: true as const, data: presentPaymentIntent(payment) };
    },
  );

  app.post(
    '/payment/payment-intent/:id/capture',
    {
      config: { access: 'admin-or-write' },
      schema: {
        tags: ['payments'],
        operationId: 'capturePaymentIntent',
        summary: 'Capture an authorized payment',
        description:
          'For a payment created with captureMethod manual (status requires_capture): charges `amount` (default: all that was ' +
          'authorized; less releases the rest). Any other status is 409 `invalid_state`.',
        params: PaymentIntentParams,
        body: CapturePaymentIntentBody,
        response: {
          200: Envelope(PaymentIntentDetails),
          ...errorResponses('invalid_amount', 'payment_intent_not_found', 'invalid_state', ...PROCESSOR_ERRORS),
        },
      },
      // The body is optional: no body means "capture everything".
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const payment = await services.payments.capture(request.params.id, request.body.amount);
      return { success: true as const, data: presentPaymentDetails(payment) };
    },
  );

  app.post(
    '/payment/payment-intent/:id/cancel',
    {
      config: { access: 'admin-or-write' },
      schema: {
        tags: ['payments'],
        operationId: 'cancelPaymentIntent',
        summary: 'Cancel a payment that has not been charged',
        description:
          'Releases an authorization (requires_capture) or abandons a payment awaiting the customer (requires_action, ' +
          'requires_payment_method). A succeeded payment is refunded instead: cancel answers 409 `invalid_state`.',
        params: PaymentIntentParams,
        response: {
          200: Envelope(PaymentIntentDetails),
          ...errorResponses('payment_intent_not_found', 'invalid_state', ...PROCESSOR_ERRORS),
        },
      },
    },
    async (request) => {
      const payment = await services.payments.cancel(request.params.id);
      return { success: true as const, data: presentPaymentDetails(payment) };
    },
  );

  app.get(
    '/payment/payment-intent/:id',
    {
      config: { access: { rule: 'read', owner: { paymentIntentId: 'params.id' } } },
      schema: {
        tags: ['payments'],
        operationId: 'getPaymentIntent',
        summary: 'Status of a payment',
        description: 'What the service knows of a payment intent, for a client whose create call timed out or that waits on 3-D Secure.',
        params: PaymentIntentParams,
        response: { 200: Envelope(PaymentIntentDetails), ...errorResponses('payment_intent_not_found') },
      },
    },
    async (request) => {
      const payment = await services.payments.status(request.params.id);
      return { success: true as const, data: presentPaymentDetails(payment) };
    },
  );
};
