import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { operations, paths } from './schema.js';

export type { components, operations, paths } from './schema.js';

/** A bearer token, or a function that answers a fresh one before each request (tokens expire). */
export type TokenSource = string | (() => string | Promise<string>);

export interface PaymentClientOptions extends ClientOptions {
  /** Where the service is, without a path: `https://payments.internal` (its paths start with /payment). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>` on every request. */
  token?: TokenSource;
}

/** The typed client: `client.POST('/payment/refund', { body })` answers `{ data, error, response }`. */
export type PaymentClient = Client<paths>;

/** A typed client of the Payment Service over fetch (openapi-fetch). */
export function createPaymentClient({ token, ...options }: PaymentClientOptions): PaymentClient {
  const client = createClient<paths>(options);
  if (token !== undefined) {
    client.use({
      async onRequest({ request }) {
        request.headers.set('Authorization', `Bearer ${typeof token === 'function' ? await token() : token}`);
        return request;
      },
    });
  }
  return client;
}

type JsonBody<Answer> = Answer extends { content: { 'application/json': infer Body } } ? Body : never;

/** The body an operation answers with one status: `Answer<'createRefund', 200>['data']['refund_id']`. */
export type Answer<Operation extends keyof operations, Status extends keyof operations[Operation]['responses']> = JsonBody<
  operations[Operation]['responses'][Status]
>;

/** Every error body of an operation: `{ success: false, message, code }`, `code` one of those it documents. */
export type ErrorAnswer<Operation extends keyof operations> = {
  [Status in keyof operations[Operation]['responses']]: JsonBody<operations[Operation]['responses'][Status]> extends infer Body
    ? Body extends { success: false } ? Body : never
    : never;
}[keyof operations[Operation]['responses']];
