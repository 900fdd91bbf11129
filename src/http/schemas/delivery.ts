import { Type, type Static } from '@sinclair/typebox';
import { ORDER_SERVICE_STATUSES } from '../../config-notifications.js';
import { VEHICLE_TYPES } from '../../domain/fares.js';
import { Currency, PaymentIntentId } from './common.js';

const Address = (description: string, example: string) => Type.String({ minLength: 1, maxLength: 500, description, examples: [example] });

const VehicleType = Type.Union(VEHICLE_TYPES.map((v) => Type.Literal(v)), {
  description: 'The Order Service\'s vehicle types; one without a rate in the fare table (WALK by default) is refused.',
  examples: ['BIKE'],
});

export const QuoteId = Type.String({ pattern: '^quo_[0-9a-f]{24}$', description: 'A delivery fee quote.', examples: ['quo_0123456789abcdef01234567'] });

export const CreateQuoteBody = Type.Object({
  fromAddress: Type.Optional(Address('Where the parcel is picked up; the Location Service measures the trip.', '1 Main St, Springfield')),
  toAddress: Type.Optional(Address('Where it is delivered.', '9 Elm St, Springfield')),
  distanceKm: Type.Optional(Type.Number({ minimum: 0, maximum: 20_000, description: 'The trip\'s length when the caller knows it (instead of the addresses).', examples: [3.2] })),
  vehicleType: VehicleType,
  currency: Type.Optional(Currency),
});
export type CreateQuoteBody = Static<typeof CreateQuoteBody>;

export const QuoteParams = Type.Object({ quoteId: Type.String({ minLength: 1, maxLength: 64, description: 'The quote\'s id (quo_...).', examples: ['quo_0123456789abcdef01234567'] }) });

const Minor = (description: string, example: number) => Type.Integer({ minimum: 0, description, examples: [example] });

export const FareBreakdownData = Type.Object({
  cost: Minor('The trip\'s price before tax, in minor units.', 2560),
  tax: Minor('Tax on the cost, in minor units.', 384),
  total: Minor('cost + tax: the amount a payment against the quote charges.', 2944),
  riderCommission: Minor('The rider\'s share, part of the cost (not added to the total).', 640),
});

export const QuoteData = Type.Object({
  quoteId: QuoteId,
  distanceKm: Type.Number({ description: 'The distance priced, in km.', examples: [3.2] }),
  durationMinutes: Type.Union([Type.Number(), Type.Null()], { description: 'The Location Service\'s estimate of the ride; null when the distance was sent.', examples: [12] }),
  vehicleType: VehicleType,
  currency: Type.String({ examples: ['usd'] }),
  breakdown: FareBreakdownData,
  expiresAt: Type.String({ format: 'date-time', description: 'Until when a payment can be made against the quote.' }),
  orderId: Type.Union([Type.String(), Type.Null()], { description: 'The order the quote pays, once a payment carried it.', examples: [null] }),
});

export const DeliveryEventBody = Type.Object({
  orderId: Type.String({ minLength: 1, maxLength: 255, examples: ['order_1234567890'] }),
  status: Type.Union(ORDER_SERVICE_STATUSES.map((s) => Type.Literal(s)), {
    description: 'The order\'s new status, as the Order Service names it: DELIVERED captures the authorization, CANCELLED releases it, the others are recorded.',
    examples: ['DELIVERED'],
  }),
});
export type DeliveryEventBody = Static<typeof DeliveryEventBody>;

export const DeliveryEventData = Type.Object({
  orderId: Type.String({ examples: ['order_1234567890'] }),
  status: Type.String({ examples: ['DELIVERED'] }),
  action: Type.Union(['captured', 'released', 'recorded', 'already_settled'].map((a) => Type.Literal(a)), {
    description: 'captured, released (the authorization was canceled), recorded (nothing to do), already_settled (captured or canceled before).',
    examples: ['captured'],
  }),
  duplicate: Type.Boolean({ description: 'True when this status was already recorded for the order: the event changed nothing new.' }),
  payment_intent_id: Type.Union([PaymentIntentId, Type.Null()]),
  payment_status: Type.String({ examples: ['succeeded'] }),
});

export const ExpiringQuery = Type.Object({
  expiring: Type.String({ pattern: '^\\d+(m|h|d)$', default: '24h', description: 'How far ahead to look (a number with m, h or d).', examples: ['24h'] }),
});

export const AwaitedAuthorizationData = Type.Object({
  payment_intent_id: Type.Union([PaymentIntentId, Type.Null()]),
  order_id: Type.String({ examples: ['order_1234567890'] }),
  amount: Type.Integer({ examples: [2944] }),
  currency: Type.String({ examples: ['usd'] }),
  capture_before: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
});

/** The delivery side of a payment, in GET /payment/payment-intent/:id. */
export const PaymentDeliveryData = Type.Union(
  [
    Type.Object({
      expected: Type.Boolean({ description: 'True when the payment is captured on delivery.' }),
      delivered_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
      delivered_by: Type.Union([
        Type.Object({ event_id: Type.String(), source: Type.String({ description: 'event (POST /payment/delivery-events) or check (DELIVERY_CHECK_URL).' }) }),
        Type.Null(),
      ]),
      events: Type.Array(Type.Object({ event_id: Type.String(), status: Type.String(), source: Type.String(), received_at: Type.String({ format: 'date-time' }) })),
    }),
    Type.Null(),
  ],
  { description: 'Capture on delivery: whether it is expected, when the delivery was reported and by which event; null for other payments.' },
);

export const PaymentQuoteData = Type.Union(
  [Type.Object({ quote_id: Type.String(), breakdown: Type.Object({}, { additionalProperties: true, description: 'cost, tax, total, riderCommission (minor units), distanceKm, vehicleType, currency.' }) }), Type.Null()],
  { description: 'The delivery fee quote the payment paid, with what was charged for what; null without one.' },
);
