import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportSPKI, importJWK, type CryptoKey } from 'jose';
import type { FastifyRequest } from 'fastify';
import { loggerOptions } from '../../src/app.js';
import type { Principal } from '../../src/auth/principal.js';
import { startTestApp, uniqueEmail, type TestApp } from '../helpers/app.js';
import { GUARDED_ROUTES, OPEN_ROUTES, placeholderRequest } from '../helpers/guarded-routes.js';
import { adminToken, newSigningKey, serviceToken, signHs256, unsignedToken, type SigningKey } from '../helpers/tokens.js';

describe('bearer tokens', () => {
  let t: TestApp;
  let key: SigningKey;
  const logLines: string[] = [];
  const seen: Array<{ url: string; token: string | undefined; ownProperty: boolean; principal: Principal | null }> = [];
  const badTokens: Array<[string, string, RegExp]> = [];

  before(async () => {
    t = await startTestApp({
      jwks: true,
      logger: { ...(loggerOptions({ logLevel: 'trace' }) as object), stream: { write: (line: string) => void logLines.push(line) } },
      beforeReady: (app) =>
        app.addHook('preHandler', async (request: FastifyRequest) => {
          seen.push({ url: request.url, token: request.bearerToken, ownProperty: Object.hasOwn(request, 'bearerToken'), principal: request.principal });
        }),
    });

    key = t.jwks!.key;
    const sameKidOtherKey = await newSigningKey('RS256', key.kid);
    const unpublishedKey = await newSigningKey('RS256');
    const publicPem = await exportSPKI((await importJWK(key.publicJwk, 'RS256', { extractable: true })) as CryptoKey);
    const admin = { sub: 'admin-1', email: 'admin@example.com', role: 'admin' };
    const both = 'payment.read payment.write';
    badTokens.push(
      ['garbage', 'not-a-jwt', /malformed/],
      ['three garbage parts', 'aaa.bbb.ccc', /malformed/],
      ['expired', await adminToken({ expiresIn: -120 }), /has expired/],
      ['not yet valid', await adminToken({ notBefore: 600 }), /not valid yet/],
      ['wrong issuer', await adminToken({ issuer: 'SomeoneElse' }), /issuer is not accepted/],
      ['wrong audience', await adminToken({ audience: 'AnotherAudience' }), /audience is not accepted/],
      ['alg none', unsignedToken(admin), /algorithm is not accepted/],
      ['HS256 signed with the RSA public key (algorithm confusion)', await signHs256(admin, { secret: new TextEncoder().encode(publicPem), header: { kid: key.kid } }), /signature does not verify/],
      ['HS256 with another secret', await signHs256(admin, { secret: randomBytes(32).toString('hex') }), /signature does not verify/],
      ['HS512 with the right secret', await signHs512(admin), /algorithm is not accepted/],
      ['RS256 by another key under a published kid', await serviceToken(sameKidOtherKey, 'microservice_payment_client', both), /signature does not verify/],
      ['RS256 by a key of unknown kid', await serviceToken(unpublishedKey, 'microservice_payment_client', both), /kid\) is not known/],
      ['user token without exp', await adminToken({ expiresIn: null }), /no expiry/],
      ['service token without exp', await serviceToken(key, 'microservice_payment_client', both, { expiresIn: null }), /no expiry/],
      ['expired service token', await serviceToken(key, 'microservice_payment_client', both, { expiresIn: -3600 }), /has expired/],
      ['user token valid for two days', await adminToken({ expiresIn: 2 * 86400 }), /valid for too long/],
      ['service token valid for a week', await serviceToken(key, 'microservice_payment_client', both, { expiresIn: 7 * 86400 }), /valid for too long/],
    );
  });
  after(() => t.close());

  const assertRefused = (response: { status: number; body: any; headers: Record<string, unknown> }, message: RegExp, invalidToken: boolean) => {
    assert.equal(response.status, 401);
    assert.deepEqual(Object.keys(response.body), ['success', 'message', 'code']);
    assert.equal(response.body.success, false);
    assert.equal(response.body.code, 'unauthorized');
    assert.match(response.body.message, message);
    const challenge = String(response.headers['www-authenticate']);
    assert.match(challenge, /^Bearer realm="payment-service"/);
    assert.equal(challenge.includes('error="invalid_token"'), invalidToken);
  };

  for (const { route } of GUARDED_ROUTES) {
    it(`${route}: 401 without a token, and for every bad token`, async () => {
      const request = placeholderRequest(route);
      for (const header of [undefined, 'Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer  ']) {
        const response = await t.anonymous.request(request.method, request.url, request.body, header ? { authorization: header } : {});
        assertRefused(response, /Authentication required/, false);
      }
      for (const [name, token, message] of badTokens) {
        const response = await t.anonymous.request(request.method, request.url, request.body, { authorization: `Bearer ${token}` });
        assert.equal(response.status, 401, `${name}: ${JSON.stringify(response.body)}`);
        assertRefused(response, message, true);
      }
    });
  }

  it('accepts a token within the clock skew (30 s by default)', async () => {
    for (const token of [await adminToken({ expiresIn: -10 }), await adminToken({ notBefore: 10 })]) {
      const response = await t.anonymous.withToken(token).post('/payment/customer', { email: uniqueEmail('skew') });
      assert.equal(response.status, 201, JSON.stringify(response.body));
    }
  });

  it('leaves health, readiness and the docs open, with or without a token; unknown routes answer 404', async () => {
    // The probes; the open webhook route is tested with its signatures in webhooks.test.ts.
    for (const route of OPEN_ROUTES.filter((r) => r.startsWith('GET '))) {
      const url = route.split(' ')[1]!;
      assert.equal((await t.anonymous.get(url)).status, 200, route);
      assert.equal((await t.anonymous.get(url, { authorization: 'Bearer not-a-jwt' })).status, 200, route);
    }
    assert.equal((await t.anonymous.get('/payment/api-docs.json')).status, 200);
    assert.ok([200, 302].includes((await t.anonymous.get('/payment/api-docs')).status));
    assert.equal((await t.anonymous.get('/payment/api-docs/json')).status, 200);
    assert.equal((await t.anonymous.get('/payment/no-such-route')).status, 404);
  });

  it('keeps the bearer token for the handlers, off the request\'s own properties, with the principal', async () => {
    const token = await adminToken();
    seen.length = 0;
    await t.anonymous.withToken(token).get('/payment/payment-methods/cus_missing');
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.token, token);
    assert.equal(seen[0]!.ownProperty, false);
    assert.deepEqual(seen[0]!.principal, { kind: 'user', subject: 'admin-1', email: 'admin@example.com', roles: ['admin'], scopes: [], clientId: null });
  });

  it('never writes a token to the log, even when asked to log the headers', async () => {
    const good = await adminToken();
    await t.anonymous.withToken(good).get('/payment/payment-methods/cus_missing');
    t.app.log.info({ headers: { authorization: `Bearer ${good}` } }, 'headers logged by mistake');
    const text = logLines.join('');
    assert.ok(text.includes('bearer token refused'), 'refusals are logged');
    assert.ok(text.includes('"reason":"ERR_JWT_EXPIRED"'), 'with the reason');
    assert.ok(text.includes('[redacted]'));
    for (const token of [good, ...badTokens.map(([, bad]) => bad).filter((bad) => bad.length > 20)]) {
      assert.ok(!text.includes(token), 'a token reached the log');
      assert.ok(!text.includes(token.split('.')[2] || token), 'a token signature reached the log');
    }
  });
});

function signHs512(claims: Record<string, unknown>) {
  return signHs256(claims, { header: { alg: 'HS512' } });
}
