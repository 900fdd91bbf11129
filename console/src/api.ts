// Every call of the console goes through the service's own API with the operator's token, so the
// console can do nothing the API would refuse. The token is kept for this browser tab only.

const TOKEN_KEY = 'payment-console-token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function keepToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer other than 2xx: the API's `{success:false, message, code}`, or what stood in for it. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly body: Record<string, unknown> = {}) {
    super(message);
  }
}

/** Told when the service refuses the token (401), so the console goes back to its sign-in page. */
let onUnauthorized: (message: string) => void = () => {};
export function whenUnauthorized(listener: (message: string) => void): void {
  onUnauthorized = listener;
}

export async function call<T>(method: 'GET' | 'POST', path: string, options: { body?: unknown; idempotencyKey?: string; token?: string } = {}): Promise<T> {
  const token = options.token ?? storedToken();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: options.body === undefined ? null : JSON.stringify(options.body), credentials: 'omit' });
  } catch {
    throw new ApiError(0, 'network_error', 'The service could not be reached');
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const error = new ApiError(response.status, String(body.code ?? 'error'), String(body.message ?? `The service answered ${response.status}`), body);
    if (response.status === 401 && !options.token) onUnauthorized(error.message);
    throw error;
  }
  return body as T;
}

export const get = <T>(path: string) => call<T>('GET', path);

/** `data` of a `{success, data}` answer. */
export async function data<T>(path: string): Promise<T> {
  return (await get<{ data: T }>(path)).data;
}

/** One key per confirmation: the same confirmation sent twice (a double click, a retry) is done once. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

export interface Payment {
  id: string;
  payment_intent_id: string | null;
  status: string;
  amount: number;
  currency: string;
  amount_received: number;
  amount_capturable: number;
  amount_refunded: number;
  capture_method: string;
  customer_id: string | null;
  customer_email: string | null;
  payment_method_id: string | null;
  order_id: string | null;
  last_payment_error: { code: string | null; decline_code: string | null; message: string | null } | null;
  capture_before: string | null;
  created_at: string;
  updated_at: string;
  delivery?: { expected: boolean; delivered_at: string | null; delivered_by: { event_id: string; source: string } | null; events: Array<{ event_id: string; status: string; source: string; received_at: string }> } | null;
  quote?: { quote_id: string; breakdown: Record<string, unknown> } | null;
}

export interface Refund {
  refund_id: string;
  status: string;
  amount: number;
  currency: string;
  reason: string | null;
  failure_reason: string | null;
  created_at: string;
}

export interface Notification {
  id: string;
  event: string;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  lastError: string | null;
  payload: { orderId: string; status: string };
  created_at: string;
  delivered_at: string | null;
}

export interface Dossier {
  payment: Payment;
  customer: { customer_id: string; email: string; name: string | null } | null;
  card: { brand: string; last4: string; exp_month: number | null; exp_year: number | null } | null;
  timeline: Array<{ from_status: string | null; to_status: string; source: string; at: string }>;
  refunds: Refund[];
  notifications: Notification[];
}
