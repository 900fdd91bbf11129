/**
 * The data the scenarios load: customers with a saved card each (payments spread over many
 * customers), payments large enough to take many small refunds, and the scenarios themselves, for
 * the service and for the ceiling.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { CEILING_EMAIL } from './ceiling-server.js';
import type { LoadRequest } from './load.js';

export interface BenchCustomer {
  email: string;
  customerId: string;
  card: string;
}

export interface Fixtures {
  customers: BenchCustomer[];
  /** Succeeded payments (processor ids) the refund scenario spreads its refunds over. */
  refundable: string[];
  /** Processor ids the status read walks through. */
  readable: string[];
}

/** Which ceiling a scenario is measured against. */
export type CeilingKind = 'select' | 'insert';

export interface Scenario {
  name: string;
  ceiling: CeilingKind;
  request: LoadRequest;
}

/** A JSON client for the service's API with one bearer token. */
export function apiClient(base: string, token: string) {
  return async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> => {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const parsed = (await response.json()) as any;
    if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${JSON.stringify(parsed)}`);
    return parsed.data;
  };
}

const REFUNDABLE_AMOUNT = 10_000_000;

/** Makes `count` customers with a card each, and a large payment per customer for the refunds. */
export async function makeFixtures(base: string, token: string, count: number): Promise<Fixtures> {
  const call = apiClient(base, token);
  const customers: BenchCustomer[] = [];
  const refundable: string[] = [];
  const run = randomBytes(4).toString('hex');
  // A few at a time: fast, without being a load of its own.
  for (let start = 0; start < count; start += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - start) }, async (_, i) => {
        const email = `bench-${run}-${start + i}@example.com`;
        const { customerId } = await call('POST', '/payment/customer', { email, name: `Bench ${start + i}` });
        const card = (await call('POST', '/payment/payment-method', { customerId, paymentMethodId: `pm_bench${randomBytes(6).toString('hex')}` }))
          .payment_method_id as string;
        const paid = await call(
          'POST',
          '/payment/payment-intent',
          { amount: REFUNDABLE_AMOUNT, customerId, paymentMethodId: card, orderId: `order_${randomUUID()}` },
          { 'idempotency-key': randomUUID() },
        );
        return { customer: { email, customerId, card }, paymentIntentId: paid.payment_intent_id as string };
      }),
    );
    for (const made of batch) {
      customers.push(made.customer);
      refundable.push(made.paymentIntentId);
    }
  }
  return { customers, refundable, readable: [...refundable] };
}

function roundRobin<T>(items: T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

/** The service's scenarios; a payment made by the payment scenario is read by the status read too. */
export function serviceScenarios(fixtures: Fixtures, token: string): Scenario[] {
  const headers = { authorization: `Bearer ${token}` };
  const customer = roundRobin(fixtures.customers);
  const refundable = roundRobin(fixtures.refundable);
  const readable = roundRobin(fixtures.readable);
  return [
    {
      name: 'GET /payment/customer/:email',
      ceiling: 'select',
      request: { method: 'GET', path: '/', headers, vary: () => ({ path: `/payment/customer/${encodeURIComponent(customer().email)}` }) },
    },
    {
      name: 'GET /payment/payment-methods/:customerId',
      ceiling: 'select',
      request: { method: 'GET', path: '/', headers, vary: () => ({ path: `/payment/payment-methods/${customer().customerId}` }) },
    },
    {
      name: 'POST /payment/payment-intent',
      ceiling: 'insert',
      request: {
        method: 'POST',
        path: '/payment/payment-intent',
        headers,
        vary: () => {
          const { customerId, card } = customer();
          return { body: { amount: 2500, customerId, paymentMethodId: card, orderId: `order_${randomUUID()}` }, headers: { 'idempotency-key': randomUUID() } };
        },
        onResponse: (status, body) => {
          if (status === 200 && fixtures.readable.length < 10_000) fixtures.readable.push(JSON.parse(body).data.payment_intent_id);
        },
      },
    },
    {
      name: 'POST /payment/refund',
      ceiling: 'insert',
      request: {
        method: 'POST',
        path: '/payment/refund',
        headers,
        vary: () => ({ body: { paymentIntentId: refundable(), amount: 1 }, headers: { 'idempotency-key': randomUUID() } }),
      },
    },
    {
      name: 'GET /payment/payment-intent/:id',
      ceiling: 'select',
      request: { method: 'GET', path: '/', headers, vary: () => ({ path: `/payment/payment-intent/${readable()}` }) },
    },
  ];
}

/** The ceiling's two requests: the select by email, and the single-row insert with a new order. */
export function ceilingRequests(): Record<CeilingKind, LoadRequest> {
  return {
    select: { method: 'GET', path: `/ceiling/customer/${encodeURIComponent(CEILING_EMAIL)}` },
    insert: {
      method: 'POST',
      path: '/ceiling/insert',
      vary: () => ({ body: { amount: 2500, customerId: 'cus_ceiling', orderId: `order_${randomUUID()}` } }),
    },
  };
}
