import type { JWTPayload } from 'jose';

/** The claim URIs the platform's .NET Auth Service writes into user tokens instead of the standard names. */
export const DOTNET_CLAIMS = {
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  nameIdentifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
} as const;

/** Who is calling, whatever kind of token said so. */
export interface Principal {
  /** Which key verified the token: the shared user secret or the service JWKS. */
  kind: 'user' | 'service';
  subject: string | null;
  email: string | null;
  roles: string[];
  scopes: string[];
  clientId: string | null;
}

function firstString(...values: unknown[]): string | null {
  for (const value of values) {
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return null;
}

/** A claim that may be one string, a space-separated string or an array of strings. */
function stringList(value: unknown, splitSpaces: boolean): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items
    .filter((item): item is string => typeof item === 'string')
    .flatMap((item) => (splitSpaces ? item.split(/\s+/) : [item.trim()]))
    .filter((item) => item !== '');
}

/**
 * One principal from any token: standard claims first, then the .NET claim URIs the platform's
 * user tokens carry (they have no `sub`, `email` or roles of their own).
 */
export function principalFromClaims(claims: JWTPayload, kind: Principal['kind']): Principal {
  const roles = [claims.role, claims.roles, claims[DOTNET_CLAIMS.role]].flatMap((value) => stringList(value, false));
  const scopes = [claims.scope, claims.scp].flatMap((value) => stringList(value, true));
  const email = firstString(claims.email, claims[DOTNET_CLAIMS.name]);
  return {
    kind,
    subject: firstString(claims.sub, claims[DOTNET_CLAIMS.nameIdentifier]),
    // The .NET name claim is the user's email on this platform; anything else cannot own a customer record.
    email: email && email.includes('@') ? email : null,
    roles: [...new Set(roles)],
    scopes: [...new Set(scopes)],
    clientId: firstString(claims.client_id, claims.azp),
  };
}

/**
 * Who a caller is across requests, for what belongs to a caller (idempotency keys, rate limits): a
 * service by its client, a user by its own id (a user token's `azp` names the web app every user
 * shares, so it must not identify them); null for a token naming nobody.
 */
export function callerKey(principal: Principal | null): string | null {
  if (!principal) return null;
  const id = principal.kind === 'service' ? (principal.clientId ?? principal.subject) : (principal.subject ?? principal.email);
  return id ? `${principal.kind}:${id}` : null;
}
