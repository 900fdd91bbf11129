import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startTestApp, uniqueEmail, type Api, type TestApp } from '../helpers/app.js';
import { platformUserToken, serviceToken } from '../helpers/tokens.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const isRateLimited = (response: { status: number; body: any; headers: Record<string, unknown> }) => {
  assert.equal(response.status, 429, JSON.stringify(response.body));
  assert.equal(response.body.success, false);
  assert.equal(response.body.code, 'rate_limited');
  assert.match(response.body.message, /retry after \d+ s/);
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(response.headers['retry-after'])}`);
  assert.equal(response.body.retry_after_seconds, retryAfter);
  assert.ok(response.headers['x-request-id']);
};

async function statuses(api: Api, count: number, send: (api: Api) => Promise<{ status: number }>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await send(api)).status);
  return out;
}

describe('rate limits shared by two instances through Redis', () => {
  const prefix = `test-${process.pid}-${randomBytes(4).toString('hex')}:`;
  const env = {
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMIT_READ_MAX: '5',
    RATE_LIMIT_WRITE_MAX: '3',
    RATE_LIMIT_SERVICE_MULTIPLIER: '2',
  };
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;

  before(async () => {
    redis = new Redis(REDIS_URL, { lazyConnect: true });
    await redis.connect();
    a = await startTestApp({ env, jwks: true });
    b = await startTestApp({ env, sameDatabaseAs: a });
  });
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await b.close();
    await a.close();
  });

  // A platform token names its user by a random id: one token per user, used on both instances.
  const tokens = new Map<string, string>();
  const asUser = async (t: TestApp, email: string) => {
    if (!tokens.has(email)) tokens.set(email, await platformUserToken(email));
    return t.anonymous.withToken(tokens.get(email)!);
  };

  it('counts one caller\'s reads on both instances, then answers 429 with Retry-After in the envelope', async () => {
    const email = uniqueEmail('reader');
    const read = (api: Api) => api.get(`/payment/customer/${encodeURIComponent(email)}`);
    const onA = await statuses(await asUser(a, email), 3, read);
    const onB = await statuses(await asUser(b, email), 2, read);
    assert.deepEqual([...onA, ...onB], [404, 404, 404, 404, 404]);
    isRateLimited(await read(await asUser(a, email)));
    isRateLimited(await read(await asUser(b, email)));
    const keys = await redis.keys(`${prefix}*`);
    assert.ok(keys.some((key) => key.endsWith(':read')), `the budget lives in Redis: ${keys.join(', ')}`);
  });

  it('keeps writes apart from reads, and each caller apart from the others', async () => {
    const email = uniqueEmail('writer');
    const user = await asUser(a, email);
    const read = (api: Api) => api.get(`/payment/customer/${encodeURIComponent(email)}`);
    await statuses(user, 5, read);
    isRateLimited(await read(user));
    const write = (api: Api) => api.post('/payment/customer', { email, name: 'Jo' });
    assert.deepEqual(await statuses(user, 2, write), [201, 200]);
    assert.deepEqual(await statuses(await asUser(b, email), 1, write), [200]);
    isRateLimited(await write(user));
    const someoneElse = uniqueEmail('other');
    assert.equal((await read(await asUser(b, someoneElse))).status, 404, 'another caller has its own budget');
  });

  it('gives service tokens a larger budget, counted by client', async () => {
    const token = await serviceToken(a.jwks!.key, `client-${randomBytes(3).toString('hex')}`, 'payment.read');
    const service = a.anonymous.withToken(token);
    const read = (api: Api) => api.get('/payment/payments?orderId=nothing');
    assert.deepEqual(await statuses(service, 10, read), Array(10).fill(200));
    isRateLimited(await read(service));
  });

  it('limits requests without a valid token by address, before refusing them, and never the probes', async () => {
    const forged = a.anonymous.withHeaders({ authorization: 'Bearer not-a-token', 'x-forwarded-for': '203.0.113.9' });
    const read = (api: Api) => api.get('/payment/payments');
    const first = await statuses(forged, 5, read);
    assert.deepEqual(first, [401, 401, 401, 401, 401]);
    isRateLimited(await read(forged));
    // Without TRUST_PROXY a forwarded address is not believed: another one does not escape the limit.
    isRateLimited(await read(a.anonymous.withHeaders({ authorization: 'Bearer x', 'x-forwarded-for': '198.51.100.7' })));
    assert.deepEqual(await statuses(b.anonymous, 20, (api) => api.get('/health')), Array(20).fill(200));
  });
});

describe('rate limits behind a trusted proxy, and without Redis', () => {
  it('counts the client address the trusted proxy forwards', async () => {
    const t = await startTestApp({ env: { RATE_LIMIT_READ_MAX: '2', TRUST_PROXY: '127.0.0.1' } });
    try {
      const from = (ip: string) => t.anonymous.withHeaders({ 'x-forwarded-for': ip });
      assert.deepEqual(await statuses(from('203.0.113.1'), 2, (api) => api.get('/payment/payments')), [401, 401]);
      isRateLimited(await from('203.0.113.1').get('/payment/payments'));
      assert.equal((await from('203.0.113.2').get('/payment/payments')).status, 401, 'another client behind the proxy has its own budget');
    } finally {
      await t.close();
    }
  });

  it('lets requests through while Redis cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const t = await startTestApp({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, RATE_LIMIT_READ_MAX: '2' } });
    try {
      assert.deepEqual(await statuses(t.api, 5, (api) => api.get('/payment/payments?orderId=x')), [200, 200, 200, 200, 200]);
    } finally {
      await t.close();
    }
  });
});
