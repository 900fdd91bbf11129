import { Type, type Static } from '@sinclair/typebox';
import { parseDuration } from './config-notifications.js';
import { DEFAULT_FARE_TABLE, parseFareTable, type FareTable } from './domain/fares.js';

/**
 * The variables of delivery-aware payments: where distances come from, the fare table, how long a
 * quote holds, and how a delivery is confirmed before an authorization is captured. Spread into the
 * one schema in config.ts.
 */
export const DELIVERY_ENV = {
  LOCATION_SERVICE_URL: Type.Optional(
    Type.String({
      pattern: '^https?://\\S+$',
      description: 'The Location Service\'s base URL (http://location-service/location); distances come from {LOCATION_SERVICE_URL}/matrix. Unset: quotes need distanceKm.',
    }),
  ),
  LOCATION_SERVICE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 3000, description: 'How long one call to the Location Service (or the delivery check) may take.' }),
  LOCATION_TOKEN_SCOPE: Type.String({ minLength: 1, default: 'location.read', description: 'Scope asked for with the client credentials when calling the Location Service.' }),
  DISTANCE_CACHE_SECONDS: Type.Integer({ minimum: 0, maximum: 86_400 * 30, default: 3600, description: 'How long the distance of one address pair is reused without asking the Location Service again (0: never).' }),
  FARE_TABLE: Type.Optional(
    Type.String({
      minLength: 2,
      description:
        'The fare table as JSON: {"taxRate": 0.15, "currencies": {"usd": {"vehicles": {"BIKE": {"ratePerKm": 800, "riderCommissionPerKm": 200}}, "baseFare": 0, "minimumFare": 0}}}, ' +
        'amounts in integer minor units. Unset: the platform\'s rule (BIKE 8, CAR 14, TRUCK 20 USD per km, commission 2, 5, 10, tax 15 %).',
    }),
  ),
  QUOTE_TTL_SECONDS: Type.Integer({ minimum: 10, maximum: 86_400 * 7, default: 900, description: 'How long a delivery fee quote can be paid against.' }),
  REQUIRE_QUOTE: Type.Union([Type.Literal('true'), Type.Literal('false')], {
    default: 'false',
    description: 'true: a payment made with a user token must carry a quoteId (services and administrators may still charge any amount).',
  }),
  DELIVERY_CHECK_URL: Type.Optional(
    Type.String({
      pattern: '^https?://\\S+$',
      description: 'Where an order\'s status is read before a capture-on-delivery payment is captured by hand: GET {DELIVERY_CHECK_URL}/{orderId} (or the URL with {orderId} replaced), answering {status} or {data: {status}}. Unset: only delivery events count.',
    }),
  ),
  DELIVERY_CHECK_TOKEN_SCOPE: Type.String({ minLength: 1, default: 'order.read', description: 'Scope asked for with the client credentials when calling the delivery check.' }),
  AUTHORIZATION_WATCH_INTERVAL_MS: Type.Integer({ minimum: 0, default: 600_000, description: 'How often authorizations awaiting a delivery are looked at (warned of near expiry, canceled at it; 0: never).' }),
  AUTHORIZATION_WARN_BEFORE: Type.String({ pattern: '^\\d+(ms|s|m|h|d)$', default: '24h', description: 'How long before its capture_before an authorization without a delivery is logged.' }),
};

const DeliveryEnv = Type.Object(DELIVERY_ENV);

export interface DeliveryConfig {
  delivery: {
    locationServiceUrl: string | null;
    timeoutMs: number;
    locationTokenScope: string;
    distanceCacheMs: number;
    fareTable: FareTable;
    quoteTtlMs: number;
    requireQuote: boolean;
    deliveryCheckUrl: string | null;
    deliveryCheckTokenScope: string;
    watchIntervalMs: number;
    warnBeforeMs: number;
  };
}

export function deliveryConfig(e: Static<typeof DeliveryEnv>, fail: (message: string) => never): DeliveryConfig {
  let fareTable = DEFAULT_FARE_TABLE;
  if (e.FARE_TABLE !== undefined) {
    try {
      fareTable = parseFareTable(e.FARE_TABLE);
    } catch (error) {
      fail(`Invalid configuration: ${(error as Error).message}`);
    }
  }
  return {
    delivery: {
      locationServiceUrl: e.LOCATION_SERVICE_URL?.replace(/\/+$/, '') ?? null,
      timeoutMs: e.LOCATION_SERVICE_TIMEOUT_MS,
      locationTokenScope: e.LOCATION_TOKEN_SCOPE,
      distanceCacheMs: e.DISTANCE_CACHE_SECONDS * 1000,
      fareTable,
      quoteTtlMs: e.QUOTE_TTL_SECONDS * 1000,
      requireQuote: e.REQUIRE_QUOTE === 'true',
      deliveryCheckUrl: e.DELIVERY_CHECK_URL?.replace(/\/+$/, '') ?? null,
      deliveryCheckTokenScope: e.DELIVERY_CHECK_TOKEN_SCOPE,
      watchIntervalMs: e.AUTHORIZATION_WATCH_INTERVAL_MS,
      warnBeforeMs: parseDuration(e.AUTHORIZATION_WARN_BEFORE),
    },
  };
}
