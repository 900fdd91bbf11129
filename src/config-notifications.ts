import { Type, type Static } from '@sinclair/typebox';
import { parseDataKeys, type DataKey } from './crypto/data-cipher.js';

/** The statuses the Order Service accepts (anything else it answers 400). */
export const ORDER_SERVICE_STATUSES = [
  'ORDER PLACED', 'ORDER CONFIRMED', 'PAYMENT RECEIVED', 'AWAITING PICKUP', 'PICKED UP', 'OUT FOR DELIVERY', 'DELIVERED', 'CANCELLED',
] as const;

/**
 * The variables of the platform loop: where the Order Service is told of payments, how the outbox
 * retries, the client credentials for a service token, and the data key that seals stored tokens.
 * Spread into the one schema in config.ts.
 */
export const NOTIFICATIONS_ENV = {
  ORDER_SERVICE_URL: Type.Optional(
    Type.String({
      pattern: '^https?://\\S+$',
      description: 'The Order Service\'s base URL (http://order-service:80/order); payments are reported to {ORDER_SERVICE_URL}/updateStatus. Unset: no notifications.',
    }),
  ),
  ORDER_STATUS_ON_SUCCESS: Type.String({
    minLength: 1,
    default: 'PAYMENT RECEIVED',
    description: 'Order status sent when a payment succeeds or is authorized.',
  }),
  ORDER_STATUS_ON_FAILURE: Type.Optional(
    Type.String({ minLength: 1, description: 'Order status sent when a payment fails, is canceled or its authorization lapses. Unset: failures are not sent.' }),
  ),
  ORDER_SERVICE_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 5000, description: 'How long one call to the Order Service may take.' }),
  OUTBOX_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 1000, default: 25, description: 'Attempts before a notification is dead.' }),
  OUTBOX_MAX_AGE: Type.String({
    pattern: '^\\d+(ms|s|m|h|d)$',
    default: '24h',
    description: 'Age after which an undelivered notification is dead (a number with ms, s, m, h or d).',
  }),
  OUTBOX_SWEEP_INTERVAL_MS: Type.Integer({ minimum: 0, default: 5000, description: 'How often the relay looks for notifications due (0: only at boot and after each commit).' }),
  OUTBOX_BACKOFF_MAX_MS: Type.Integer({ minimum: 10, default: 300_000, description: 'The longest wait between two attempts of one notification.' }),
  AUTH_TOKEN_URL: Type.Optional(
    Type.String({ pattern: '^https?://\\S+$', description: 'The Auth Service\'s token endpoint (POST /auth/connect/token), for a client-credentials service token.' }),
  ),
  AUTH_CLIENT_ID: Type.Optional(Type.String({ minLength: 1, description: 'This service\'s client id at the Auth Service.' })),
  AUTH_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 1, secret: true, description: 'This service\'s client secret at the Auth Service; never shown.' })),
  AUTH_TOKEN_SCOPE: Type.String({ minLength: 1, default: 'order.write', description: 'Scope asked for with the client credentials.' }),
  DATA_ENCRYPTION_KEY: Type.Optional(
    Type.String({
      minLength: 1,
      secret: true,
      description: 'Base64 AES-256 keys (32 bytes), comma-separated: the first seals, every one opens (rotation). Seals the names, emails and forwarded tokens kept at rest. Required in production; unset otherwise: a key made under DATA_DIR.',
    }),
  ),
};

const NotificationsEnv = Type.Object(NOTIFICATIONS_ENV);

/** How the Order Service hears of payments; null in Config when ORDER_SERVICE_URL is unset. */
export interface NotificationSettings {
  orderServiceUrl: string;
  successStatus: string;
  /** Null: failures are not sent. */
  failureStatus: string | null;
  timeoutMs: number;
  maxAttempts: number;
  maxAgeMs: number;
  sweepIntervalMs: number;
  backoffMaxMs: number;
}

/** A client-credentials grant at the Auth Service, for calls made on the service's own behalf. */
export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
}

export interface NotificationsConfig {
  notifications: NotificationSettings | null;
  clientCredentials: ClientCredentials | null;
  /** DATA_ENCRYPTION_KEY; null: unset (outside production the server makes a development key). */
  dataKeys: DataKey[] | null;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDuration(value: string): number {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value);
  if (!match) throw new Error(`not a duration: ${value}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

function orderStatus(name: string, value: string, fail: (message: string) => never): string {
  if (!(ORDER_SERVICE_STATUSES as readonly string[]).includes(value)) {
    fail(`Invalid configuration: ${name} must be one of the Order Service's statuses: ${ORDER_SERVICE_STATUSES.join(', ')} (got ${JSON.stringify(value)})`);
  }
  return value;
}

export function notificationsConfig(
  e: Static<typeof NotificationsEnv>,
  fail: (message: string) => never,
): NotificationsConfig {
  const credentials = [e.AUTH_TOKEN_URL, e.AUTH_CLIENT_ID, e.AUTH_CLIENT_SECRET];
  if (credentials.some((v) => v !== undefined) && credentials.some((v) => v === undefined)) {
    fail('Invalid configuration: AUTH_TOKEN_URL, AUTH_CLIENT_ID and AUTH_CLIENT_SECRET go together (set all three for service tokens, or none)');
  }
  let dataKeys: DataKey[] | null = null;
  if (e.DATA_ENCRYPTION_KEY !== undefined) {
    try {
      dataKeys = parseDataKeys(e.DATA_ENCRYPTION_KEY);
    } catch (error) {
      fail(`Invalid configuration: ${(error as Error).message}`);
    }
  }
  const notifications = e.ORDER_SERVICE_URL
    ? {
        orderServiceUrl: e.ORDER_SERVICE_URL.replace(/\/+$/, ''),
        successStatus: orderStatus('ORDER_STATUS_ON_SUCCESS', e.ORDER_STATUS_ON_SUCCESS, fail),
        failureStatus: e.ORDER_STATUS_ON_FAILURE === undefined ? null : orderStatus('ORDER_STATUS_ON_FAILURE', e.ORDER_STATUS_ON_FAILURE, fail),
        timeoutMs: e.ORDER_SERVICE_TIMEOUT_MS,
        maxAttempts: e.OUTBOX_MAX_ATTEMPTS,
        maxAgeMs: parseDuration(e.OUTBOX_MAX_AGE),
        sweepIntervalMs: e.OUTBOX_SWEEP_INTERVAL_MS,
        backoffMaxMs: e.OUTBOX_BACKOFF_MAX_MS,
      }
    : null;
  return {
    notifications,
    clientCredentials: e.AUTH_TOKEN_URL && e.AUTH_CLIENT_ID && e.AUTH_CLIENT_SECRET
      ? { tokenUrl: e.AUTH_TOKEN_URL, clientId: e.AUTH_CLIENT_ID, clientSecret: e.AUTH_CLIENT_SECRET, scope: e.AUTH_TOKEN_SCOPE }
      : null,
    dataKeys,
  };
}
