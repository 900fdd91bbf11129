import type { Database } from './database.js';

/** How many rows of one kind are in one status at one processor. */
export interface StatusCount {
  status: string;
  processor: string;
  count: number;
}

/**
 * Counts of payments and refunds by status and processor, for the metrics scrape: one GROUP BY
 * each, read when Prometheus asks, so the payment path itself counts nothing.
 */
export class StatusCounts {
  constructor(private readonly db: Database) {}

  async payments(): Promise<StatusCount[]> {
    const { rows } = await this.db.query<StatusCount>(
      'SELECT status, processor, count(*)::int AS count FROM payments GROUP BY status, processor',
    );
    return rows;
  }

  async refunds(): Promise<StatusCount[]> {
    const { rows } = await this.db.query<StatusCount>(
      `SELECT r.status, p.processor, count(*)::int AS count FROM refunds r JOIN payments p ON p.id = r.payment_id
       GROUP BY r.status, p.processor`,
    );
    return rows;
  }
}
