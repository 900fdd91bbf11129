import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../../app-services.js';
import type { Principal } from '../../auth/principal.js';
import { AppError, isAppError } from '../../errors.js';
import { requestKeyOf } from '../plugins/idempotency.js';
import { presentDelivery, presentPaymentDetails, presentPaymentIntent } from '../presenters.js';
import { Envelope, errorResponses, PROCESSOR_ERRORS } from '../schemas/common.js';
import {
  CapturePaymentIntentBody,
  CreatePaymentIntentBody,
  PaymentIntentData,
  PaymentIntentDetails,
  PaymentIntentParams,
} from '../schemas/payments.js';

/**
 * Who pays: the customer id sent; when it is absent or "" (the web app could not look the customer
 * up), the customer the saved card belongs to; without a card, a user token's own customer. The
 * caller's rules were applied to the same choice before (config.access).
 */
async function payerOf(
  services: AppServices,
  body: { customerId?: string | undefined; paymentMethodId?: string | undefined },
  principal: Principal | null,
): Promise<string> {
  if (body.customerId) return body.customerId;
  if (body.paymentMethodId) return (await services.paymentMethods.payerOf(body.paymentMethodId)).processorCustomerId;
  const email = principal?.kind === 'user' ? principal.email : null;
  const own = email
    ? await services.customers.getByEmail(email).catch((error: unknown) => {
        if (isAppError(error) && error.code === 'customer_not_found') return null;
        throw error;
      })
    : null;
  if (own) return own.processorCustomerId;
  throw new AppError('validation_failed', 'customerId is required: send the id (cus_...) of the customer who pays', { param: 'customerId' });
}

export const paymentIntentRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  app.post(
    '/payment/payment-intent',
    {
      config: { access: { rule: 'create-payment', owner: { customerId: 'body.customerId', orPaymentMethodId: 'body.paymentMethodId', orSelf: true } } },
      schema: {
        tags: ['payments'],
        operationId: 'createPaymentIntent',
        summary: 'Charge a customer\'s card',
        description:
          'Creates and confirms a payment intent. `succeeded` (or `requires_capture` with captureMethod manual) is 200; ' +
          '`requires_action` is 200 with `next_action` and `client_secret` for Stripe.js to finish 3-D Secure; a declined ' +
          'card is 402 `card_declined` with Stripe\'s `decline_code` (the attempt is recorded; a new attempt for the order is allowed). ' +
          'An order that already has a live or successful payment is 409 `order_already_paid`. A payment made with a customer\'s own ' +
          '(user) token holds its order against that customer only; one made with a service token (the Order Service\'s ' +
          '`order.write`, `payment.write`) or by an administrator holds it against everyone, and is not held off by other ' +
          'customers\' own payments. The 409 names the holding payment (`payment_intent_id`, `status`) only to its own ' +
          'customer, a service or an administrator; anyone else is told only that the order is being paid.\n\n' +
          'Without `paymentMethodId` this is Stripe\'s browser-confirmed flow: the intent is created in `requires_payment_method` ' +
          'and answered with `clientSecret` for Stripe.js `confirmCardPayment`; the outcome is recorded when the payment is polled ' +
          '(GET /payment/payment-intent/{id}) or Stripe\'s webhook arrives. Such a payment holds its order while it waits; sending it ' +
          'again answers the same intent, and another payment for the order cancels it first.\n\n' +
          'With `quoteId` the amount is the delivery fee quote\'s total and the payment keeps its breakdown; with `captureMethod: "manual"` ' +
          'and `captureOn: "delivery"` the card is only authorized, and captured when the order\'s DELIVERED event is reported.\n\n' +
          '`paymentIntentId` and `clientSecret` repeat `payment_intent_id` and `client_secret` under the names the CommuneDrop web app reads.',
        body: CreatePaymentIntentBody,
        response: {
          200: Envelope(PaymentIntentData),
          ...errorResponses(
            'invalid_amount', 'amount_below_minimum', 'card_declined', 'customer_not_found', 'payment_method_not_found',
            'payment_method_unusable', 'order_already_paid', 'amount_mismatch', 'quote_not_found', 'quote_expired', 'quote_used',
            ...PROCESSOR_ERRORS,
          ),
        },
      },
    },
    async (request) => {
      const body = request.body;
      const context = {
        requestKey: requestKeyOf(request), bearerToken: request.bearerToken, traceparent: request.traceContext?.traceparent,
        principal: request.principal, asCustomer: request.actsAsCustomer === true,
      };
      const paymentMethodId = body.paymentMethodId;
      if (paymentMethodId === undefined && body.returnUrl !== undefined) {
        throw new AppError('validation_failed', 'returnUrl goes with paymentMethodId; in the browser-confirmed flow Stripe.js takes the return URL when it confirms', {
          param: 'returnUrl',
        });
      }
      const customerId = await payerOf(services, request.body, request.principal);
      if (paymentMethodId === undefined) {
        const waiting = await services.payments.createAwaitingPaymentMethod({
          amount: body.amount,
          currency: body.currency,
          customerId,
          orderId: body.orderId,
          description: body.description,
          captureMethod: body.captureMethod,
          quoteId: body.quoteId,
          captureOn: body.captureOn,
        }, context);
        return { success: true as const, data: presentPaymentIntent(waiting) };
      }
      const payment = await services.payments.create({
        amount: body.amount,
        currency: body.currency,
        customerId,
        paymentMethodId,
        orderId: body.orderId,
        description: body.description,
        returnUrl: body.returnUrl,
        captureMethod: body.captureMethod,
        quoteId: body.quoteId,
        captureOn: body.captureOn,
      }, context);
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
          'authorized; less releases the rest). Any other status is 409 `invalid_state`. A payment captured on delivery (captureOn delivery) ' +
          'is refused with 409 `delivery_not_completed` until its DELIVERED event is recorded or DELIVERY_CHECK_URL says the order is delivered.',
        params: PaymentIntentParams,
        body: CapturePaymentIntentBody,
        response: {
          200: Envelope(PaymentIntentDetails),
          ...errorResponses('invalid_amount', 'payment_intent_not_found', 'invalid_state', 'delivery_not_completed', 'dependency_unavailable', ...PROCESSOR_ERRORS),
        },
      },
      // The body is optional: no body means "capture everything".
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const payment = await services.payments.capture(request.params.id, request.body.amount, { bearerToken: request.bearerToken });
      return { success: true as const, data: presentPaymentDetails(payment) };
    },
  );

  app.post(
    '/payment/payment-intent/:id/cancel',
    {
      config: { access: { rule: 'cancel', owner: { paymentIntentId: 'params.id' } } },
      schema: {
        tags: ['payments'],
        operationId: 'cancelPaymentIntent',
        summary: 'Cancel a payment that has not been charged',
        description:
          'Releases an authorization (requires_capture) or abandons a payment awaiting the customer (requires_action, ' +
          'requires_payment_method), freeing its order. A customer may cancel its own payment (another\'s is 404), and so may the ' +
          'Order Service. A succeeded payment is refunded instead: cancel answers 409 `invalid_state`.',
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
      return { success: true as const, data: { ...presentPaymentDetails(payment), ...presentDelivery(await services.deliveries.view(payment)) } };
    },
  );
};
