import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppServices } from '../../app-services.js';
import type { Quote } from '../../store/quotes-repository.js';
import { Envelope, errorResponses } from '../schemas/common.js';
import { CreateQuoteBody, QuoteData, QuoteParams } from '../schemas/delivery.js';

function presentQuote(quote: Quote) {
  return {
    quoteId: quote.id,
    distanceKm: Number(quote.distanceKm),
    durationMinutes: quote.durationMinutes,
    vehicleType: quote.vehicleType as CreateQuoteBody['vehicleType'],
    currency: quote.currency,
    breakdown: { cost: quote.cost, tax: quote.tax, total: quote.total, riderCommission: quote.riderCommission },
    expiresAt: quote.expiresAt.toISOString(),
    orderId: quote.orderId,
  };
}

/** Delivery fee quotes: a trip priced from the fare table, kept for a payment to be bound to. */
export const deliveryFeeRoutes: FastifyPluginAsyncTypebox<{ services: AppServices }> = async (app, { services }) => {
  app.post(
    '/payment/delivery-fee',
    {
      // A quote belongs to no customer: any customer may ask (the owner is the caller itself).
      config: { access: { rule: 'quote', owner: { customerId: 'body.customerId', orSelf: true } } },
      schema: {
        tags: ['deliveries'],
        operationId: 'createDeliveryFeeQuote',
        summary: 'Quote a delivery fee',
        description:
          'Prices a trip from the fare table (FARE_TABLE): `{fromAddress, toAddress, vehicleType}` asks the Location Service for the distance ' +
          '(the same pair is answered from a cache for DISTANCE_CACHE_SECONDS); `{distanceKm, vehicleType}` uses the distance sent. Every amount ' +
          'is in integer minor units: cost = km × rate (+ base fare, at least the minimum), tax = cost × tax rate, each rounded half-up once, ' +
          'total = cost + tax; the rider\'s commission is part of the cost. The quote is kept until `expiresAt` (QUOTE_TTL_SECONDS) for a payment ' +
          'to carry as `quoteId`. A vehicle without a rate is 400 naming those with one; the Location Service down, slow or answering ' +
          'nonsense is 503 `dependency_unavailable`.',
        body: CreateQuoteBody,
        response: { 201: Envelope(QuoteData), ...errorResponses('dependency_unavailable') },
      },
    },
    async (request, reply) => {
      const quote = await services.quotes.create(request.body, request.bearerToken, request.traceContext?.traceparent);
      return reply.code(201).send({ success: true as const, data: presentQuote(quote) });
    },
  );

  app.get(
    '/payment/delivery-fee/:quoteId',
    {
      config: { access: { rule: 'quote', owner: { customerId: 'query.customerId', orSelf: true } } },
      schema: {
        tags: ['deliveries'],
        operationId: 'getDeliveryFeeQuote',
        summary: 'A delivery fee quote',
        description: 'The quote as it was made, its expiry, and the order it pays once a payment carried it.',
        params: QuoteParams,
        response: { 200: Envelope(QuoteData), ...errorResponses('quote_not_found') },
      },
    },
    async (request) => ({ success: true as const, data: presentQuote(await services.quotes.get(request.params.quoteId)) }),
  );
};
