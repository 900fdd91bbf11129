import type { Database } from './database.js';

/** A stored delivery fee quote; amounts in integer minor units of `currency`. */
export interface Quote {
  id: string;
  fromAddress: string | null;
  toAddress: string | null;
  /** The decimal text the fare was computed from ("3.25"). */
  distanceKm: string;
  durationMinutes: number | null;
  vehicleType: string;
  currency: string;
  cost: number;
  tax: number;
  total: number;
  riderCommission: number;
  createdAt: Date;
  expiresAt: Date;
  /** The order it pays for, once a payment carried it. */
  orderId: string | null;
}

interface QuoteRow {
  id: string;
  from_address: string | null;
  to_address: string | null;
  distance_km: string;
  duration_minutes: string | null;
  vehicle_type: string;
  currency: string;
  cost: string | number;
  tax: string | number;
  total: string | number;
  rider_commission: string | number;
  created_at: Date;
  expires_at: Date;
  order_id: string | null;
}

const toQuote = (row: QuoteRow): Quote => ({
  id: row.id,
  fromAddress: row.from_address,
  toAddress: row.to_address,
  distanceKm: row.distance_km,
  durationMinutes: row.duration_minutes === null ? null : Number(row.duration_minutes),
  vehicleType: row.vehicle_type,
  currency: row.currency,
  cost: Number(row.cost),
  tax: Number(row.tax),
  total: Number(row.total),
  riderCommission: Number(row.rider_commission),
  createdAt: new Date(row.created_at),
  expiresAt: new Date(row.expires_at),
  orderId: row.order_id,
});

export class QuotesRepository {
  constructor(private readonly db: Database) {}

  async insert(quote: Omit<Quote, 'orderId'>): Promise<Quote> {
    const { rows } = await this.db.query<QuoteRow>(
      `INSERT INTO delivery_quotes (id, from_address, to_address, distance_km, duration_minutes, vehicle_type, currency,
                                    cost, tax, total, rider_commission, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
      [
        quote.id, quote.fromAddress, quote.toAddress, quote.distanceKm, quote.durationMinutes, quote.vehicleType, quote.currency,
        quote.cost, quote.tax, quote.total, quote.riderCommission, quote.createdAt, quote.expiresAt,
      ],
    );
    return toQuote(rows[0]!);
  }

  async findById(id: string): Promise<Quote | null> {
    const { rows } = await this.db.query<QuoteRow>('SELECT * FROM delivery_quotes WHERE id = $1', [id]);
    return rows[0] ? toQuote(rows[0]) : null;
  }

  /**
   * Binds a quote to an order, once: answers the quote as it is afterwards. It stays bound to
   * another order when one took it first (one statement, so two payments never both take it).
   */
  async bindToOrder(id: string, orderId: string): Promise<Quote | null> {
    const { rows } = await this.db.query<QuoteRow>(
      `UPDATE delivery_quotes SET order_id = $2 WHERE id = $1 AND order_id IS NULL RETURNING *`,
      [id, orderId],
    );
    return rows[0] ? toQuote(rows[0]) : this.findById(id);
  }
}
