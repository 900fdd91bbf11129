import type { Principal } from './principal.js';

/** The role and scope names the rules speak of; each can be renamed by configuration (AUTH_ROLE_ADMIN, AUTH_SCOPE_*). */
export interface AccessNames {
  adminRole: string;
  readScope: string;
  writeScope: string;
  orderScope: string;
}

export const DEFAULT_ACCESS_NAMES: AccessNames = {
  adminRole: 'admin',
  readScope: 'payment.read',
  writeScope: 'payment.write',
  orderScope: 'order.write',
};

/**
 * The one rule table. A route names its rule; the admin role passes every rule; a scope listed
 * here passes it; `customers` says whether a user token without those may still pass, for its
 * own resources only (the route then says where the owner is found).
 */
export const ACCESS_RULES = {
  /** Reads: the payment.read scope, or the customer's own data. */
  read: { scopes: ['readScope'], customers: true },
  /** Customer, card and payment changes: the payment.write scope, or the customer's own data. */
  write: { scopes: ['writeScope'], customers: true },
  /** Charging: as write, plus the order service's scope (the web app pays with the order client's token). */
  'create-payment': { scopes: ['writeScope', 'orderScope'], customers: true },
  /** Captures, cancels: never a customer. */
  'admin-or-write': { scopes: ['writeScope'], customers: false },
  /**
   * Canceling a payment not charged yet: as write, plus the order service's scope; a customer its
   * own (a 3-D Secure challenge abandoned, an authorization no longer wanted frees its order).
   */
  cancel: { scopes: ['writeScope', 'orderScope'], customers: true },
  /** Refunds: as admin-or-write, plus the order service's scope (it refunds a cancelled order). */
  refund: { scopes: ['writeScope', 'orderScope'], customers: false },
  /** Delivery fee quotes: any reading or writing service, or a customer (a quote holds no one's data). */
  quote: { scopes: ['readScope', 'writeScope', 'orderScope'], customers: true },
  /** Delivery events (an order delivered or cancelled): the order service's scope; never a customer. */
  'delivery-event': { scopes: ['orderScope'], customers: false },
  /** Operators' views and repairs (the outbox): the admin role only. */
  admin: { scopes: [], customers: false },
} as const satisfies Record<string, { scopes: ReadonlyArray<Exclude<keyof AccessNames, 'adminRole'>>; customers: boolean }>;

export type AccessRuleName = keyof typeof ACCESS_RULES;

export function isAccessRuleName(value: unknown): value is AccessRuleName {
  return typeof value === 'string' && Object.hasOwn(ACCESS_RULES, value);
}

/** What a rule makes of a principal: let it through, let it through for its own resources only, or refuse. */
export type AccessDecision = { outcome: 'allow' } | { outcome: 'owner'; email: string } | { outcome: 'deny'; reason: string };

export function decideAccess(rule: AccessRuleName, principal: Principal, names: AccessNames): AccessDecision {
  if (principal.roles.includes(names.adminRole)) return { outcome: 'allow' };
  const { scopes, customers } = ACCESS_RULES[rule];
  const accepted = scopes.map((key) => names[key]);
  if (accepted.some((scope) => principal.scopes.includes(scope))) return { outcome: 'allow' };
  if (customers && principal.email) return { outcome: 'owner', email: principal.email };
  return { outcome: 'deny', reason: describeRequirement(rule, names) };
}

/** The sentence a 403 answers with, and the route's line in the API document. */
export function describeRequirement(rule: AccessRuleName, names: AccessNames): string {
  const { scopes, customers } = ACCESS_RULES[rule];
  const options = [`the ${names.adminRole} role`, ...scopes.map((key) => `scope ${names[key]}`)];
  if (customers) options.push('a user token for the customer concerned');
  if (options.length === 1) return `Requires ${options[0]}`;
  return `Requires ${options.slice(0, -1).join(', ')} or ${options.at(-1)}`;
}
