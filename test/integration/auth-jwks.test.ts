import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomer, startTestApp, type TestApp } from '../helpers/app.js';
import { AUDIENCE, ISSUER, JwksServer, newSigningKey, platformUserToken, serviceToken, type SignOptions, type SigningKey } from '../helpers/tokens.js';

const SERVICE_ISSUER = 'https://auth.example.com/auth';
const SERVICE_AUDIENCE = 'payment-service';

describe('service tokens checked against the Auth Service\'s JWKS, served over loopback', () => {
  let t: TestApp;
  let jwks: JwksServer;
  let first: SigningKey;
  let customerId: string;

  before(async () => {
    t = await startTestApp({
      jwks: true,
      env: {
        SERVICE_JWT_ISSUER: SERVICE_ISSUER,
        SERVICE_JWT_AUDIENCE: SERVICE_AUDIENCE,
        // Every unknown kid fetches the set again, so rotation can be shown without waiting 30 s.
        JWKS_REFRESH_COOLDOWN_SECONDS: '0',
      },
    });
    ({ server: jwks, key: first } = t.jwks!);
    customerId = await createCustomer(t.api);
  });
  after(() => t.close());

  const readWith = async (key: SigningKey, options: SignOptions = {}) => {
    const token = await serviceToken(key, 'microservice_payment_client', 'payment.read', { issuer: SERVICE_ISSUER, audience: SERVICE_AUDIENCE, ...options });
    return t.anonymous.withToken(token).get(`/payment/payment-methods/${customerId}`);
  };

  it('accepts RS256 and ES256 keys, and fetches the set once while it knows the kid', async () => {
    const ec = await newSigningKey('ES256');
    jwks.publish(ec);
    const before = jwks.fetches;
    for (let i = 0; i < 3; i++) assert.equal((await readWith(first)).status, 200);
    assert.equal((await readWith(ec)).status, 200);
    assert.equal(jwks.fetches - before, 1, 'one fetch served both keys');
    const again = jwks.fetches;
    await readWith(first);
    await readWith(ec);
    assert.equal(jwks.fetches, again, 'known kids are served from the cache');
  });

  it('follows a key rotation: a new kid is fetched and accepted; a withdrawn key is refused once the set is fetched again', async () => {
    const second = await newSigningKey('RS256');
    assert.equal((await readWith(second)).status, 401, 'not published yet');
    jwks.publish(second);
    const before = jwks.fetches;
    assert.equal((await readWith(second)).status, 200);
    assert.equal(jwks.fetches, before + 1, 'the unknown kid made it fetch the set again');

    jwks.withdraw(first.kid);
    const stranger = await newSigningKey('RS256');
    assert.equal((await readWith(stranger)).status, 401, 'an unknown kid fetches the set again');
    const refused = await readWith(first);
    assert.equal(refused.status, 401);
    assert.match(refused.body.message, /kid\) is not known/);
    assert.equal((await readWith(second)).status, 200);
  });

  it('checks the service tokens\' own issuer and audience, separate from the user tokens\'', async () => {
    const key = await newSigningKey('RS256');
    jwks.publish(key);
    assert.equal((await readWith(key, { issuer: ISSUER })).status, 401);
    assert.equal((await readWith(key, { audience: AUDIENCE })).status, 401);
    assert.equal((await readWith(key)).status, 200);
    // And the user tokens keep theirs.
    const user = await platformUserToken('nobody@example.com', { issuer: SERVICE_ISSUER, audience: SERVICE_AUDIENCE });
    assert.equal((await t.anonymous.withToken(user).get('/payment/customer/nobody%40example.com')).status, 401);
  });

  it('answers 503, not 401, while the key set cannot be fetched, without fetching on every request, and recovers', async () => {
    const late = await newSigningKey('ES256');
    jwks.publish(late);
    jwks.failWith = 500;
    try {
      const response = await readWith(late);
      assert.equal(response.status, 503);
      assert.equal(response.body.code, 'service_unavailable');
      assert.equal(response.headers['www-authenticate'], undefined);
      // Anyone can send a token: while the key set is down, 20 more requests cause no fetch at all.
      const fetches = jwks.fetches;
      const more = await Promise.all(Array.from({ length: 20 }, () => readWith(late)));
      assert.ok(more.every((r) => r.status === 503));
      assert.equal(jwks.fetches, fetches);
    } finally {
      jwks.failWith = null;
    }
    await new Promise((resolve) => setTimeout(resolve, 5100)); // the back-off after a failed fetch
    assert.equal((await readWith(late)).status, 200);
  });
});
