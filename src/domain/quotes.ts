import { randomBytes } from 'node:crypto';
import { AppError } from '../errors.js';
import type { LocationServiceClient, TripDistance } from '../peers/location-service.js';
import { unavailable } from '../peers/location-service.js';
import type { Quote, QuotesRepository } from '../store/quotes-repository.js';
import { decimalText, MAX_DISTANCE_KM, quoteFare, type FareTable } from './fares.js';
import { formatAmount, normalizeCurrency } from './money.js';

/** A quote request: the addresses (the Location Service measures the trip) or a distance the caller knows. */
export interface QuoteInput {
  fromAddress?: string | undefined;
  toAddress?: string | undefined;
  distanceKm?: number | undefined;
  vehicleType: string;
  currency?: string | undefined;
}

export interface QuoteSettings {
  fareTable: FareTable;
  ttlMs: number;
  distanceCacheMs: number;
}

/** Where a call's bearer token comes from: the service's own (client credentials), else the caller's. */
export type PeerToken = (callerToken: string | undefined) => Promise<string | null>;

/** Distances of address pairs already asked, at most this many kept. */
const CACHE_ENTRIES = 10_000;

/**
 * Prices a trip from the fare table and keeps the price as a quote a payment can be bound to:
 * the distance from the Location Service (cached per address pair) or from the caller.
 */
export class QuoteService {
  private readonly distances = new Map<string, { trip: TripDistance; until: number }>();

  constructor(
    private readonly quotes: QuotesRepository,
    private readonly location: LocationServiceClient | null,
    private readonly peerToken: PeerToken,
    private readonly settings: QuoteSettings,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A fee quote; `traceparent` is the caller's trace, carried to the Location Service. */
  async create(input: QuoteInput, callerToken: string | undefined, traceparent?: string | undefined): Promise<Quote> {
    const currency = normalizeCurrency(input.currency);
    const byAddress = input.fromAddress !== undefined || input.toAddress !== undefined;
    if (byAddress && input.distanceKm !== undefined) {
      throw new AppError('validation_failed', 'Send fromAddress and toAddress, or distanceKm, not both', { param: 'distanceKm' });
    }
    if (!byAddress && input.distanceKm === undefined) {
      throw new AppError('validation_failed', 'Send fromAddress and toAddress (the Location Service measures the trip), or distanceKm', { param: 'fromAddress' });
    }
    if (byAddress && (!input.fromAddress?.trim() || !input.toAddress?.trim())) {
      throw new AppError('validation_failed', `${input.fromAddress?.trim() ? 'toAddress' : 'fromAddress'} is required with the other address`, {
        param: input.fromAddress?.trim() ? 'toAddress' : 'fromAddress',
      });
    }
    // The fare is checked before the Location Service is asked: an unpriced vehicle costs it nothing.
    if (byAddress) quoteFare(this.settings.fareTable, 0, input.vehicleType, currency);
    const trip = byAddress
      ? await this.distance(input.fromAddress!.trim(), input.toAddress!.trim(), callerToken, traceparent)
      : { distanceKm: input.distanceKm!, durationMinutes: null };
    const fare = quoteFare(this.settings.fareTable, trip.distanceKm, input.vehicleType, currency);
    const createdAt = this.now();
    return this.quotes.insert({
      id: `quo_${randomBytes(12).toString('hex')}`,
      fromAddress: byAddress ? input.fromAddress!.trim() : null,
      toAddress: byAddress ? input.toAddress!.trim() : null,
      distanceKm: decimalText(fare.distance),
      durationMinutes: trip.durationMinutes,
      vehicleType: input.vehicleType,
      currency,
      cost: fare.cost,
      tax: fare.tax,
      total: fare.total,
      riderCommission: fare.riderCommission,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + this.settings.ttlMs),
    });
  }

  async get(quoteId: string): Promise<Quote> {
    const quote = /^quo_[0-9a-f]{24}$/.test(quoteId) ? await this.quotes.findById(quoteId) : null;
    if (!quote) throw new AppError('quote_not_found', `No delivery fee quote ${quoteId}`, { param: 'quoteId' });
    return quote;
  }

  /**
   * Binds a quote to the order a payment is for: the amount must be its total, in its currency; an
   * unused quote must not have expired; a quote bound to another order is refused. A quote already
   * bound to this order (a retry, a new attempt after a decline) keeps the price it was taken at.
   */
  async bindForPayment(quoteId: string, orderId: string | null, amount: number, currency: string): Promise<Quote> {
    const quote = await this.get(quoteId);
    if (currency !== quote.currency || amount !== quote.total) {
      throw new AppError(
        'amount_mismatch',
        `amount ${amount} ${currency.toUpperCase()} does not match quote ${quote.id}'s total ${quote.total} (${formatAmount(quote.total, quote.currency)}): charge the quoted total, or get a new quote`,
        { param: 'amount', quote_total: quote.total, quote_currency: quote.currency },
      );
    }
    if (orderId === null) {
      throw new AppError('validation_failed', 'orderId is required with quoteId: a quote pays for one order', { param: 'orderId' });
    }
    if (quote.orderId === orderId) return quote;
    if (quote.orderId === null && quote.expiresAt <= this.now()) throw expired(quote);
    const bound = quote.orderId === null ? await this.quotes.bindToOrder(quote.id, orderId) : quote;
    if (bound?.orderId !== orderId) {
      throw new AppError('quote_used', `Quote ${quote.id} already pays order ${bound?.orderId}; a quote pays one order: get a new quote`, { param: 'quoteId' });
    }
    return bound;
  }

  /** The distance of an address pair: from the cache while it holds, else from the Location Service. */
  private async distance(fromAddress: string, toAddress: string, callerToken: string | undefined, traceparent: string | undefined): Promise<TripDistance> {
    if (!this.location) {
      // Nothing is down: this deployment measures no trips, and the caller can fix the request.
      throw new AppError('validation_failed', 'This service has no Location Service (LOCATION_SERVICE_URL) to measure the trip: send distanceKm instead of the addresses', {
        param: 'fromAddress',
      });
    }
    const key = JSON.stringify([normalizeAddress(fromAddress), normalizeAddress(toAddress)]);
    const cached = this.distances.get(key);
    const now = this.now().getTime();
    if (cached && cached.until > now) return cached.trip;
    const trip = await this.location.matrix(fromAddress, toAddress, await this.peerToken(callerToken), traceparent);
    if (trip.distanceKm > MAX_DISTANCE_KM) {
      throw unavailable(`The Location Service answered a distance of ${trip.distanceKm} km, more than any trip (${MAX_DISTANCE_KM} km); no fee is quoted from it`);
    }
    if (this.settings.distanceCacheMs > 0) {
      this.distances.delete(key);
      if (this.distances.size >= CACHE_ENTRIES) this.distances.delete(this.distances.keys().next().value!);
      this.distances.set(key, { trip, until: now + this.settings.distanceCacheMs });
    }
    return trip;
  }
}

function normalizeAddress(address: string): string {
  return address.replace(/\s+/g, ' ').trim().toLowerCase();
}

function expired(quote: Quote): AppError {
  return new AppError('quote_expired', `Quote ${quote.id} expired at ${quote.expiresAt.toISOString()}: get a new quote (POST /payment/delivery-fee)`, {
    param: 'quoteId',
  });
}
