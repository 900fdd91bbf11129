import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../../errors.js';
import type { NewAuditEntry } from '../../store/audit-log-repository.js';
import type { IdempotencyClaim, IdempotencyKeysRepository } from '../../store/idempotency-keys-repository.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { withErrorResponses } from '../schemas/common.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request carries an Idempotency-Key and is the one running the handler for it. */
    idempotency?: { scope: string; key: string; owner: string; seed: string };
  }
}

export interface IdempotencyOptions {
  keys: IdempotencyKeysRepository;
  /** The caller a key belongs to (two callers never share a key); null when the caller cannot be told apart. */
  scopeOf: (request: FastifyRequest) => string | null;
  /** How long a running request holds its key before a retry may take it over (the request died). */
  leaseMs: number;
  /** How long a retry waits for the first request to finish before answering 409. */
  waitMs: number;
  /** Told of each replayed answer and each 409 in progress (the metrics). */
  observe?: { replayed(): void; inProgress(): void };
  /** The audit row of the answer, if any (installAuditLog leaves these requests to it): stored with the key's answer, in one statement. */
  auditOf: (request: FastifyRequest, reply: FastifyReply, payload: unknown) => NewAuditEntry | null;
}

const POLL_MS = 25;
const KEYED_METHODS = new Set(['POST', 'DELETE']);

const IdempotencyKeyHeader = Type.String({
  minLength: 1,
  maxLength: 255,
  description:
    'Any unique string (a UUID) per logical request: a retry with the same key and body is answered with the first ' +
    'answer (`Idempotent-Replayed: true`) for 24 hours, never carried out twice. Keys belong to the caller.',
  examples: ['2f1c6a3e-8b4d-4f2a-9c1e-7d5b3a9e0f12'],
});

/**
 * What a use case derives its row ids from: the caller, the client's key and the key's seed (new
 * each time the key is first used, so a key used again after it was forgotten makes new rows).
 */
export function requestKeyOf(request: FastifyRequest): string | undefined {
  const owned = request.idempotency;
  return owned ? `${owned.scope}\n${owned.key}\n${owned.seed}` : undefined;
}

function fingerprint(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.routeOptions.url}\n${JSON.stringify(request.params ?? {})}\n${canonicalJson(request.body)}`)
    .digest('hex');
}


/**
 * Stripe's Idempotency-Key rules for every POST and DELETE: the first request's answer (5xx
 * included) is stored once its handler starts and replayed, with `Idempotent-Replayed: true`, for
 * the same key and parameters; other parameters are 400 `idempotency_error`. A retry that arrives
 * while the first request runs waits for its answer, up to `waitMs`, then is 409 `idempotency_in_progress`.
 */
export function installIdempotency(app: FastifyInstance, options: IdempotencyOptions): void {
  app.addHook('onRoute', documentIdempotencyKey);
  // Requests of this process that are running a key's handler, so a retry here waits without polling.
  const running = new Map<string, { owner: string; done: Promise<void>; finish: () => void }>();
  const begin = (id: string, owner: string) => {
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    running.set(id, { owner, done, finish });
  };
  // Only the claim that began the wait ends it: a request that lost its key to a takeover does not.
  const end = (id: string, owner: string) => {
    const entry = running.get(id);
    if (entry?.owner !== owner) return;
    entry.finish();
    running.delete(id);
  };

  async function waitForFirst(scope: string, key: string, print: string): Promise<IdempotencyClaim> {
    const deadline = Date.now() + options.waitMs;
    for (;;) {
      const local = running.get(`${scope}\n${key}`);
      if (local) await Promise.race([local.done, sleep(Math.max(0, deadline - Date.now()))]);
      else await sleep(POLL_MS);
      const claim = await options.keys.claim(scope, key, print, options.leaseMs);
      if (claim.kind !== 'in_progress' || Date.now() >= deadline) return claim;
    }
  }

  app.addHook('preHandler', async (request, reply) => {
    if (!KEYED_METHODS.has(request.method)) return;
    const header = request.headers['idempotency-key'];
    if (header === undefined) return;
    // Its length is checked by the route's header schema (documentIdempotencyKey).
    const key = Array.isArray(header) ? header[0] ?? '' : header;
    const scope = options.scopeOf(request);
    if (scope === null) {
      throw new AppError(
        'validation_failed',
        'Idempotency-Key needs a token that names its caller (sub, client_id or email), so that two callers never share a key',
        { param: 'Idempotency-Key' },
      );
    }
    const print = fingerprint(request);
    let claim = await options.keys.claim(scope, key, print, options.leaseMs);
    if (claim.kind === 'in_progress') claim = await waitForFirst(scope, key, print);
    switch (claim.kind) {
      case 'owner': {
        request.idempotency = { scope, key, owner: claim.owner, seed: claim.seed };
        begin(`${scope}\n${key}`, claim.owner);
        // However the request ends, waiters here stop waiting on it.
        reply.raw.once('close', () => end(`${scope}\n${key}`, claim.owner));
        return;
      }
      case 'mismatch':
        throw new AppError(
          'idempotency_error',
          `Idempotency-Key "${key}" was first used with other parameters; use a new key for a different request`,
        );
      case 'in_progress':
        options.observe?.inProgress();
        throw new AppError('idempotency_in_progress', `A request with Idempotency-Key "${key}" is still being processed; retry later`);
      case 'completed':
        options.observe?.replayed();
        return reply
          .status(claim.status)
          .header('content-type', 'application/json; charset=utf-8')
          .header('idempotent-replayed', 'true')
          .send(claim.body);
    }
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const owned = request.idempotency;
    if (owned) {
      const body = typeof payload === 'string' ? payload : String(payload ?? '');
      const audit = options.auditOf(request, reply, payload) ?? undefined;
      try {
        await options.keys.complete(owned.scope, owned.key, owned.owner, reply.statusCode, body, audit);
      } catch (error) {
        // The audit row is never the reason an answer goes unstored: the answer alone, then.
        if (!audit) throw error;
        request.log.error({ err: error, action: audit.action }, 'could not write the audit log entry of a change');
        await options.keys.complete(owned.scope, owned.key, owned.owner, reply.statusCode, body);
      }
      end(`${owned.scope}\n${owned.key}`, owned.owner);
    }
    return payload;
  });
}

/** Every POST and DELETE documents the header, validated by its schema, and the two answers it adds. */
function documentIdempotencyKey(route: RouteOptions): void {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  if (!methods.some((method) => KEYED_METHODS.has(method)) || !route.schema || route.schema.hide) return;
  const headers = (route.schema.headers ?? Type.Object({})) as { properties?: Record<string, unknown> };
  route.schema = {
    ...route.schema,
    headers: { ...headers, properties: { ...headers.properties, 'Idempotency-Key': IdempotencyKeyHeader } },
    response: withErrorResponses(route.schema.response as Record<string, unknown> | undefined, 'idempotency_error', 'idempotency_in_progress'),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
