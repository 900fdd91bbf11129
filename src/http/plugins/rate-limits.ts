import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { callerKey, type Principal } from '../../auth/principal.js';
import type { PerimeterConfig } from '../../config-perimeter.js';
import { AppError } from '../../errors.js';

/** Counts a request against its caller's budget; throws 429 `rate_limited` when it is spent. */
export type Throttle = (request: FastifyRequest, reply: FastifyReply, caller: Principal | null) => Promise<void>;

type Settings = PerimeterConfig['rateLimit'];

const isRead = (method: string) => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

/** The budget a request counts against: its caller's (or its address's, without one), reads and writes apart. */
function budgetKey(request: FastifyRequest, caller: Principal | null): string {
  const who = callerKey(caller) ?? `ip:${request.ip}`;
  return `${who}:${isRead(request.method) ? 'read' : 'write'}`;
}

function budgetMax(settings: Settings, request: FastifyRequest, caller: Principal | null): number {
  const base = isRead(request.method) ? settings.readMax : settings.writeMax;
  return caller?.kind === 'service' ? base * settings.serviceMultiplier : base;
}

/** A Redis client that fails fast: while Redis is away, requests are let through (logged) rather than kept waiting. */
async function connectRedis(app: FastifyInstance, url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500, connectTimeout: 2000 });
  let warned = false;
  redis.on('error', (error: Error) => {
    if (!warned) app.log.warn({ err: { message: error.message } }, 'rate limits: Redis is unreachable; requests are let through until it answers');
    warned = true;
  });
  redis.on('ready', () => {
    if (warned) app.log.info('rate limits: Redis answers again');
    warned = false;
  });
  await redis.connect().catch(() => {
    // Logged by the error listener; ioredis keeps reconnecting in the background.
  });
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
  return redis;
}

/**
 * Rate limits per caller with @fastify/rate-limit, in Redis when REDIS_URL is set so that every
 * instance shares the budgets. Answers the Throttle the authentication hook calls once it knows
 * who is calling (so a bad token is counted against its address, before it is refused).
 * Probes (`config.rateLimit: false`) are never limited.
 */
export async function installRateLimits(app: FastifyInstance, settings: Settings): Promise<Throttle> {
  if (!settings.enabled) return async () => {};
  const redis = settings.redis ? await connectRedis(app, settings.redis.url) : null;
  const callers = new WeakMap<FastifyRequest, Principal | null>();
  await app.register(rateLimit, {
    global: false,
    timeWindow: settings.windowMs,
    max: (request) => budgetMax(settings, request, callers.get(request) ?? null),
    keyGenerator: (request) => budgetKey(request, callers.get(request) ?? null),
    // A limit store that fails lets requests through: payments matter more than the limits.
    skipOnError: true,
    ...(redis && settings.redis ? { redis, nameSpace: settings.redis.keyPrefix } : {}),
  });
  const limit = app.createRateLimit();

  return async (request, reply, caller) => {
    if (request.routeOptions.config.rateLimit === false) return;
    callers.set(request, caller);
    const result = await limit(request);
    if (result.isAllowed) return;
    reply.header('x-ratelimit-limit', result.max).header('x-ratelimit-remaining', result.remaining).header('x-ratelimit-reset', result.ttlInSeconds);
    if (!result.isExceeded) return;
    const retryAfter = Math.max(1, result.ttlInSeconds);
    reply.header('retry-after', retryAfter);
    throw new AppError('rate_limited', `Too many ${isRead(request.method) ? 'reads' : 'writes'} from this caller: retry after ${retryAfter} s`, {
      retry_after_seconds: retryAfter,
    });
  };
}
