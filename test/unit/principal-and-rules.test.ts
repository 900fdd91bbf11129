import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACCESS_RULES, decideAccess, DEFAULT_ACCESS_NAMES } from '../../src/auth/access-rules.js';
import { principalFromClaims, type Principal } from '../../src/auth/principal.js';

const NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
const NAME_ID = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier';
const ROLE = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';

describe('one principal from any token', () => {
  it('reads a platform user token: email and id from the .NET claim URIs', () => {
    const principal = principalFromClaims({ [NAME]: 'ann@example.com', [NAME_ID]: 'user-42', iss: 'CommuneDrop' }, 'user');
    assert.deepEqual(principal, { kind: 'user', subject: 'user-42', email: 'ann@example.com', roles: [], scopes: [], clientId: null });
  });

  it('reads a platform client-credentials token: client_id and a space-separated scope', () => {
    const principal = principalFromClaims({ client_id: 'microservice_order_client', scope: 'order.read  order.write' }, 'service');
    assert.deepEqual(principal, { kind: 'service', subject: null, email: null, roles: [], scopes: ['order.read', 'order.write'], clientId: 'microservice_order_client' });
  });

  it('prefers the standard claims, and takes roles and scopes in every form', () => {
    const principal = principalFromClaims(
      { sub: 's-1', email: 'bo@example.com', [NAME]: 'other@example.com', role: 'admin', roles: ['support', 'admin'], [ROLE]: ['auditor'], scope: ['payment.read'], scp: 'payment.write' },
      'user',
    );
    assert.equal(principal.subject, 's-1');
    assert.equal(principal.email, 'bo@example.com');
    assert.deepEqual(principal.roles, ['admin', 'support', 'auditor']);
    assert.deepEqual(principal.scopes, ['payment.read', 'payment.write']);
  });

  it('ignores claims of the wrong type, and a name that is not an email', () => {
    const principal = principalFromClaims({ sub: 42 as unknown as string, [NAME]: 'Ann Smith', role: { admin: true }, scope: 7 }, 'user');
    assert.deepEqual(principal, { kind: 'user', subject: null, email: null, roles: [], scopes: [], clientId: null });
  });
});

describe('the access rule table', () => {
  const who = (overrides: Partial<Principal>): Principal => ({ kind: 'user', subject: null, email: null, roles: [], scopes: [], clientId: null, ...overrides });
  const names = DEFAULT_ACCESS_NAMES;

  it('lets the admin role through every rule', () => {
    for (const rule of Object.keys(ACCESS_RULES) as Array<keyof typeof ACCESS_RULES>) {
      assert.deepEqual(decideAccess(rule, who({ roles: ['admin'] }), names), { outcome: 'allow' }, rule);
    }
  });

  it('gives each scope exactly its rules', () => {
    const allowed = (scope: string) =>
      (Object.keys(ACCESS_RULES) as Array<keyof typeof ACCESS_RULES>).filter((rule) => decideAccess(rule, who({ kind: 'service', scopes: [scope] }), names).outcome === 'allow');
    assert.deepEqual(allowed('payment.read'), ['read', 'quote']);
    assert.deepEqual(allowed('payment.write'), ['write', 'create-payment', 'admin-or-write', 'cancel', 'refund', 'quote']);
    assert.deepEqual(allowed('order.write'), ['create-payment', 'cancel', 'refund', 'quote', 'delivery-event']);
    assert.deepEqual(allowed('order.read'), []);
  });

  it('lets only the admin role through the admin rule', () => {
    assert.equal(decideAccess('admin', who({ kind: 'service', scopes: ['payment.read', 'payment.write', 'order.write'] }), names).outcome, 'deny');
    assert.deepEqual(decideAccess('admin', who({ email: 'ann@example.com' }), names), { outcome: 'deny', reason: 'Requires the admin role' });
    assert.equal(decideAccess('admin', who({ roles: ['admin'] }), names).outcome, 'allow');
  });

  it('sends a customer to the ownership check, except on admin-or-write', () => {
    const customer = who({ email: 'ann@example.com' });
    assert.deepEqual(decideAccess('read', customer, names), { outcome: 'owner', email: 'ann@example.com' });
    assert.deepEqual(decideAccess('create-payment', customer, names), { outcome: 'owner', email: 'ann@example.com' });
    assert.deepEqual(decideAccess('admin-or-write', customer, names), { outcome: 'deny', reason: 'Requires the admin role or scope payment.write' });
    assert.equal(decideAccess('read', who({}), names).outcome, 'deny');
  });

  it('uses the configured names instead of the defaults', () => {
    const renamed = { adminRole: 'Administrator', readScope: 'payments:read', writeScope: 'payments:write', orderScope: 'orders' };
    assert.equal(decideAccess('read', who({ roles: ['Administrator'] }), renamed).outcome, 'allow');
    assert.equal(decideAccess('read', who({ roles: ['admin'] }), renamed).outcome, 'deny');
    assert.equal(decideAccess('create-payment', who({ scopes: ['orders'] }), renamed).outcome, 'allow');
    assert.equal(decideAccess('admin-or-write', who({ scopes: ['payment.write'] }), renamed).outcome, 'deny');
  });
});
