import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { toAppError, type Logger } from '../../domain/processor-errors.js';
import { AppError } from '../../errors.js';
import { ProcessorError } from '../../processors/processor.js';
import type { SimulatedProcessor } from '../../processors/simulated/simulated-processor.js';
import { Envelope, errorResponses, PaymentMethodId } from '../schemas/common.js';
import { PAYMENT_STATUS_VALUES } from '../schemas/payments.js';

export const SIMULATED_CONFIRM_PATH = '/payment/simulated/payment-intent/:id/confirm';

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 255, description: 'The payment intent id (pi_...).' }) });
const Body = Type.Object({
  paymentMethodId: PaymentMethodId,
  clientSecret: Type.String({ minLength: 1, maxLength: 500, description: 'The clientSecret the payment intent call answered.' }),
  returnUrl: Type.Optional(Type.String({ format: 'uri', maxLength: 2048, description: 'Where 3-D Secure sends the customer back.' })),
});
const Confirmed = Type.Object({
  paymentIntentId: Type.String(),
  status: Type.Union(PAYMENT_STATUS_VALUES.map((s) => Type.Literal(s))),
  nextAction: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
    description: 'For 3-D Secure: the simulated page to send the customer to.',
  }),
});

const notFound = () => new AppError('payment_intent_not_found', 'No payment intent with this id and client secret');

/**
 * The stand-in for Stripe.js's `confirmCardPayment(clientSecret, {payment_method})` when the
 * simulated processor runs (registered only then; left out of the API document, as the 3-D Secure
 * page is): the browser-confirmed flow runs end to end without Stripe, test cards and 3-D Secure
 * included. It acts on the simulated processor only, as Stripe.js acts on Stripe only: the service
 * learns the outcome as it would from Stripe, when the payment is polled or the webhook arrives.
 *
 * Access is `open`, as Stripe.js's call is made with a publishable key: what lets a caller in is
 * the intent's client secret, which only those the service answered it to have.
 */
export const simulatedConfirmRoutes: FastifyPluginAsyncTypebox<{ processor: SimulatedProcessor; logger: Logger }> = async (app, { processor, logger }) => {
  app.post(
    SIMULATED_CONFIRM_PATH,
    {
      config: { access: 'open' },
      schema: {
        hide: true,
        operationId: 'confirmSimulatedPaymentIntent',
        summary: 'Confirm a browser-confirmed payment as Stripe.js would (simulated processor only)',
        params: Params,
        body: Body,
        response: {
          200: Envelope(Confirmed),
          ...errorResponses('payment_intent_not_found', 'payment_method_not_found', 'payment_method_unusable', 'card_declined', 'invalid_state', 'processor_invalid_request'),
        },
      },
    },
    async (request) => {
      const { paymentMethodId, clientSecret, returnUrl } = request.body;
      let intent;
      try {
        intent = await processor.confirmInBrowser(request.params.id, paymentMethodId, clientSecret, returnUrl);
      } catch (error) {
        if (error instanceof ProcessorError && error.code === 'payment_intent_unexpected_state') {
          throw new AppError('invalid_state', error.message);
        }
        throw toAppError(error, 'payment_method_not_found', logger);
      }
      if (!intent) throw notFound();
      if (intent.lastError && intent.status === 'requires_payment_method') {
        // As Stripe.js answers a declined card: the error, with the intent ready for another card.
        throw new AppError('card_declined', intent.lastError.message, {
          decline_code: intent.lastError.declineCode ?? intent.lastError.code ?? 'generic_decline',
          payment_intent_id: intent.id,
        });
      }
      return { success: true as const, data: { paymentIntentId: intent.id, status: intent.status, nextAction: intent.nextAction } };
    },
  );
};
