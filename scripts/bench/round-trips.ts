/**
 * Round trips and commits per request: the real service started in this process with its database
 * wrapped, a few payments and refunds made one at a time, and every statement counted. A round
 * trip is one statement sent (BEGIN and COMMIT included); a commit is a transaction's COMMIT or a
 * write sent outside one (it commits on its own).
 */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { startService } from '../../src/service.js';
import type { Database, Queryable } from '../../src/store/database.js';
import { apiClient } from './fixtures.js';

export class Counts {
  roundTrips = 0;
  commits = 0;
  /** Statements by their first words, to see where the round trips go. */
  statements = new Map<string, number>();

  reset(): void {
    this.roundTrips = 0;
    this.commits = 0;
    this.statements.clear();
  }
}

const WRITE = /^\s*(insert|update|delete|with\b[\s\S]*\b(insert|update|delete)\b)/i;

function shapeOf(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 90);
}

/** The database with every statement counted in `counts`. */
export function countingDatabase(db: Database, counts: Counts): Database {
  const count = (text: string) => {
    counts.roundTrips++;
    const shape = shapeOf(text);
    counts.statements.set(shape, (counts.statements.get(shape) ?? 0) + 1);
  };
  const counted = (target: Queryable, inTransaction: boolean): Queryable => ({
    query: (text, params) => {
      count(text);
      if (!inTransaction && WRITE.test(text)) counts.commits++;
      return target.query(text, params);
    },
    exec: (script) => {
      count(script);
      return target.exec(script);
    },
  });
  const outside = counted(db, false);
  return {
    kind: db.kind,
    query: outside.query,
    exec: outside.exec,
    transaction: async (fn) => {
      counts.roundTrips += 2; // BEGIN, and COMMIT or ROLLBACK
      const value = await db.transaction((tx) => fn(counted(tx, true)));
      counts.commits++;
      return value;
    },
    close: () => db.close(),
    ...(db.stats ? { stats: () => db.stats!() } : {}),
  };
}

export interface PerRequest {
  roundTrips: number;
  commits: number;
  /** The statements of one request, most frequent first. */
  statements: Array<[string, number]>;
}

function perRequest(counts: Counts, requests: number): PerRequest {
  return {
    roundTrips: counts.roundTrips / requests,
    commits: counts.commits / requests,
    statements: [...counts.statements.entries()].sort((a, b) => b[1] - a[1]).map(([shape, n]) => [shape, n / requests]),
  };
}

/** The real service started in this process on `env`, its statements counted in `counts`. */
export async function startCountedService(env: Record<string, string>): Promise<{ url: string; counts: Counts; close(): Promise<void> }> {
  const counts = new Counts();
  const service = await startService(loadConfig({ ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }), {
    wrapDatabase: (db) => countingDatabase(db, counts),
  });
  return { url: service.url.replace('localhost', '127.0.0.1'), counts, close: () => service.close() };
}

/**
 * Starts the service here on `env` (its own database or folder), makes one customer and card, then
 * counts `requests` payments and as many refunds, one at a time, each with its own key.
 */
export async function countRoundTrips(env: Record<string, string>, token: string, requests: number): Promise<{ payment: PerRequest; refund: PerRequest }> {
  const service = await startCountedService(env);
  const { counts } = service;
  try {
    const call = apiClient(service.url, token);
    const { customerId } = await call('POST', '/payment/customer', { email: `count-${randomUUID()}@example.com`, name: 'Count' });
    const card = (await call('POST', '/payment/payment-method', { customerId, paymentMethodId: `pm_count${randomUUID().slice(0, 8)}` })).payment_method_id as string;
    const key = () => ({ 'idempotency-key': randomUUID() });
    const pay = () => call('POST', '/payment/payment-intent', { amount: 10_000, customerId, paymentMethodId: card, orderId: `order_${randomUUID()}` }, key());
    // One of each first, so what is done once per process (a cache filled) is not counted.
    const first = await pay();
    await call('POST', '/payment/refund', { paymentIntentId: first.payment_intent_id, amount: 1 }, key());
    counts.reset();
    const paid: string[] = [];
    for (let i = 0; i < requests; i++) paid.push((await pay()).payment_intent_id);
    const payment = perRequest(counts, requests);
    counts.reset();
    for (const id of paid) await call('POST', '/payment/refund', { paymentIntentId: id, amount: 1 }, key());
    return { payment, refund: perRequest(counts, requests) };
  } finally {
    await service.close();
  }
}
