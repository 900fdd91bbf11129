import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { mintUserToken, parseTtl } from '../../src/auth/token-minter.js';
import { createTokenVerifier } from '../../src/auth/token-verifier.js';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('minting user tokens (npm run token, the quickstart banner)', () => {
  it('reads lifetimes in seconds, minutes, hours and days, up to 30 days', () => {
    assert.deepEqual(['90', '45s', '30m', '1h', '24h', '1d'].map(parseTtl), [90, 45, 1800, 3600, 86400, 86400]);
    for (const bad of ['', '0', '1w', '-1h', '1.5h', '25h', '2d', '30d', 'forever']) {
      assert.throws(() => parseTtl(bad), ConfigError, bad);
    }
  });

  it('mints what the service\'s own verifier accepts, with the configured issuer and audience', async () => {
    const { auth } = loadConfig({ JWT_SECRET: randomBytes(32).toString('hex'), JWT_ISSUER: 'Local', JWT_AUDIENCE: 'LocalAudience' });
    const token = await mintUserToken(auth, { email: 'ann@example.com', roles: ['admin'], scope: 'payment.read payment.write', ttlSeconds: 600 });
    const principal = await createTokenVerifier(auth).verify(token);
    assert.deepEqual(principal, {
      kind: 'user',
      subject: 'ann@example.com',
      email: 'ann@example.com',
      roles: ['admin'],
      scopes: ['payment.read', 'payment.write'],
      clientId: null,
    });
    const claims = decodeJwt(token);
    assert.equal(claims.iss, 'Local');
    assert.equal(claims.aud, 'LocalAudience');
    assert.equal(claims.exp! - claims.iat!, 600);
  });

  it('cannot mint without a shared secret', async () => {
    const { auth } = loadConfig({ JWKS_URL: 'http://auth/jwks' });
    await assert.rejects(mintUserToken(auth, { email: 'a@b.com', ttlSeconds: 60 }), /JWT_SECRET is not set/);
  });
});
