import type { FastifyRequest } from 'fastify';
import { ACCESS_RULES, isAccessRuleName, type AccessRuleName } from '../auth/access-rules.js';
import type { OwnedResource } from '../auth/ownership.js';
import type { Principal } from '../auth/principal.js';

/** Where in a validated request a value is found: `params.customerId`, `body.email`, `query.customerId`. */
export type Locator = `${'body' | 'params' | 'query'}.${string}`;

/** Which field of the request says whose data it touches, for the rules that let customers in. */
export type OwnerDeclaration =
  | { email: Locator; otherwise: 'forbidden' | 'not_found' }
  | {
      customerId: Locator;
      /** When the customer id is absent or empty: the customer this saved card belongs to. */
      orPaymentMethodId?: Locator;
      /** When neither is sent: the user token's own customer (the route looks it up by the token's email). */
      orSelf?: true;
    }
  | { paymentIntentId: Locator };

/**
 * What a route declares in `config.access`: `'open'`, a rule customers never pass
 * (`'admin-or-write'`), or a rule with the field that names the owner.
 */
export type RouteAccess = 'open' | AccessRuleName | { rule: AccessRuleName; owner: OwnerDeclaration };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Who called; null only on open routes. */
    principal: Principal | null;
    /** The raw bearer token, for forwarding to the order service; not enumerable, never logged. */
    readonly bearerToken: string | undefined;
    /** True when the caller passed as a customer acting on its own records (not by a role or a scope). */
    actsAsCustomer?: boolean;
  }
}

/** The rule and owner of a declaration, or why the declaration is unusable (the app then refuses to build). */
export function parseRouteAccess(access: unknown): { rule: AccessRuleName | 'open'; owner: OwnerDeclaration | null } | string {
  if (access === undefined) return 'declares no access rule (config.access)';
  if (access === 'open') return { rule: 'open', owner: null };
  const rule = typeof access === 'object' && access !== null ? (access as { rule?: unknown }).rule : access;
  const owner = typeof access === 'object' && access !== null ? ((access as { owner?: OwnerDeclaration }).owner ?? null) : null;
  if (!isAccessRuleName(rule)) return `declares an unknown access rule ${JSON.stringify(rule)}`;
  // A rule that lets customers in without saying where the owner is would let every customer in.
  if (ACCESS_RULES[rule].customers && !owner) return `declares rule ${rule}, which customers may pass, without an owner field`;
  if (!ACCESS_RULES[rule].customers && owner) return `declares an owner field for rule ${rule}, which customers never pass`;
  return { rule, owner };
}

function read(request: FastifyRequest, locator: Locator): string | null {
  const [part, field] = locator.split('.', 2) as ['body' | 'params' | 'query', string];
  const container = request[part] as Record<string, unknown> | undefined;
  const value = container && typeof container === 'object' ? container[field] : undefined;
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The owned resource a request names, or null when the field is absent (the request is then refused). */
export function ownedResourceOf(request: FastifyRequest, owner: OwnerDeclaration): OwnedResource | null {
  if ('email' in owner) {
    const value = read(request, owner.email);
    return value === null ? null : { kind: 'email', value, otherwise: owner.otherwise };
  }
  if ('customerId' in owner) {
    const value = read(request, owner.customerId);
    if (value !== null) return { kind: 'customerId', value };
    const card = owner.orPaymentMethodId ? read(request, owner.orPaymentMethodId) : null;
    if (card !== null) return { kind: 'paymentMethodId', value: card };
    return owner.orSelf ? { kind: 'self' } : null;
  }
  const value = read(request, owner.paymentIntentId);
  return value === null ? null : { kind: 'paymentIntentId', value };
}
