import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { decideAccess, describeRequirement, type AccessNames, type AccessRuleName } from '../../auth/access-rules.js';
import type { OwnershipChecker } from '../../auth/ownership.js';
import type { Principal } from '../../auth/principal.js';
import type { TokenVerifier } from '../../auth/token-verifier.js';
import { AppError, isAppError } from '../../errors.js';
import { ownedResourceOf, parseRouteAccess } from '../access.js';
import { withErrorResponses } from '../schemas/common.js';
import { DOCS_PREFIX } from './docs.js';

export interface AuthDeps {
  verifier: TokenVerifier;
  ownership: OwnershipChecker;
  names: AccessNames;
  /** Counts the request against its caller once known (null: none or a bad token), before any refusal. */
  throttle?: (request: FastifyRequest, reply: FastifyReply, caller: Principal | null) => Promise<void>;
}

const REALM = 'payment-service';
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * Guards every route in one place: a route without an access rule stops the app from building,
 * `onRequest` turns the bearer token into `request.principal` (401 otherwise), `preHandler` applies
 * the route's rule to it once the body is validated (403, or 404 for another customer's data).
 * Install it before any route, so it sees them all.
 */
export function installAuth(app: FastifyInstance, deps: AuthDeps): void {
  // Kept off the request object itself, so no serializer or spread of the request can carry it.
  const bearerTokens = new WeakMap<FastifyRequest, string>();
  app.decorateRequest('principal', null);
  app.decorateRequest('bearerToken', {
    getter(this: FastifyRequest) {
      return bearerTokens.get(this);
    },
  });

  app.addHook('onRoute', (route) => {
    // Swagger UI registers its own routes under the docs prefix; they are as open as the document.
    // So are CORS preflights, which browsers send without a token.
    if ((route.url.startsWith(DOCS_PREFIX) || route.method === 'OPTIONS') && route.config?.access === undefined) {
      route.config = { ...route.config, access: 'open' };
    }
    const access = parseRouteAccess(route.config?.access);
    if (typeof access === 'string') throw new Error(`Route ${String(route.method)} ${route.url} ${access}`);
    if (access.rule !== 'open') documentGuard(route, access.rule, deps.names);
    // An open route says so in the API document, so that clients send it no token.
    else if (route.schema && !route.schema.hide) route.schema = { ...route.schema, security: [] };
  });

  app.addHook('onRequest', async (request, reply) => {
    const open = isOpen(request);
    const token = open ? undefined : BEARER.exec(request.headers.authorization ?? '')?.[1];
    const verified = token ? await deps.verifier.verify(token).then((principal) => ({ principal }), (error: unknown) => ({ error })) : null;
    // Limits count before any refusal, so that bad tokens are limited too (by address).
    await deps.throttle?.(request, reply, verified && 'principal' in verified ? verified.principal : null);
    if (open) return;
    if (!token || !verified) {
      reply.header('www-authenticate', `Bearer realm="${REALM}"`);
      throw new AppError('unauthorized', 'Authentication required: send Authorization: Bearer <token>');
    }
    if ('error' in verified) {
      const { error } = verified;
      if (isAppError(error) && error.code === 'unauthorized') {
        request.log.info({ reason: (error.cause as Error | undefined)?.message }, 'bearer token refused');
        reply.header('www-authenticate', `Bearer realm="${REALM}", error="invalid_token", error_description="${error.message}"`);
      }
      throw error;
    }
    request.principal = verified.principal;
    bearerTokens.set(request, token);
  });

  app.addHook('preHandler', async (request) => {
    if (isOpen(request)) return;
    const access = parseRouteAccess(request.routeOptions.config.access);
    if (typeof access === 'string' || access.rule === 'open' || !request.principal) {
      throw new AppError('forbidden', 'This route is not open to this request');
    }
    const decision = decideAccess(access.rule, request.principal, deps.names);
    if (decision.outcome === 'allow') return;
    if (decision.outcome === 'deny') throw new AppError('forbidden', decision.reason);
    const resource = access.owner ? ownedResourceOf(request, access.owner) : null;
    if (!resource) throw new AppError('forbidden', describeRequirement(access.rule, deps.names));
    await deps.ownership.assertOwnedBy({ email: decision.email, subject: request.principal.subject }, resource);
    request.actsAsCustomer = true;
  });
}

/** Open routes, and the not-found handler (it has no route to guard). Anything else is guarded. */
function isOpen(request: FastifyRequest): boolean {
  const access = request.routeOptions.config.access;
  return access === 'open' || (access === undefined && request.is404);
}

/**
 * The route's page in the API document says it needs a bearer token, who passes, and the answers
 * of this hook: 401, 403, and 503 while the key set of service tokens cannot be fetched.
 */
function documentGuard(route: RouteOptions, rule: AccessRuleName, names: AccessNames): void {
  const schema = route.schema ?? {};
  const requirement = describeRequirement(rule, names);
  route.schema = {
    ...schema,
    security: [{ bearerAuth: [] }],
    description: [(schema as { description?: string }).description, `**Access**: ${requirement}.`].filter(Boolean).join('\n\n'),
    response: withErrorResponses(schema.response as Record<string, unknown> | undefined, 'unauthorized', 'forbidden', 'service_unavailable'),
  };
}
