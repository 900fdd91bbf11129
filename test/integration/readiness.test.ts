import assert from 'node:assert/strict';
import { createServer, Socket, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { Readiness } from '../../src/observability/readiness.js';
import { SimulatedProcessor } from '../../src/processors/simulated/simulated-processor.js';
import { openDatabase } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { SimulatedLedger } from '../../src/store/simulated-ledger.js';
import { startTestApp } from '../helpers/app.js';
import { openTestDatabase, TEST_DB } from '../helpers/database.js';
import { TEST_JWT_SECRET } from '../helpers/tokens.js';

/** A TCP hop in front of PostgreSQL that can be stopped (every connection cut) and started again on the same port. */
class DatabaseHop {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(5432, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}

const ready = async (app: { inject: (o: { method: 'GET'; url: string }) => Promise<{ statusCode: number; body: string }> }, url = '/ready') => {
  const response = await app.inject({ method: 'GET', url });
  return { status: response.statusCode, body: JSON.parse(response.body) as { success: boolean; message?: string; code?: string } };
};

describe('/ready', () => {
  it('is 503 while the service starts and once it stops, saying which; /health answers all along', async () => {
    const t = await startTestApp();
    after(() => t.close());
    const readiness = new Readiness('starting');
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET });
    const app = await buildApp(config, { db: t.db, processor: new SimulatedProcessor(new SimulatedLedger(t.db)), readiness });
    after(() => app.close());
    for (const url of ['/ready', '/payment/ready']) {
      assert.deepEqual((await ready(app, url)).body, {
        success: false,
        code: 'service_unavailable',
        message: 'Not ready: the service is starting (migrations, boot reconciliation)',
      });
    }
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    // The rest of the API waits for the boot: nothing reaches a database not yet migrated.
    const early = await app.inject({ method: 'GET', url: '/payment/customer/someone%40example.com' });
    assert.deepEqual([early.statusCode, JSON.parse(early.body).code], [503, 'service_unavailable']);
    readiness.serving();
    assert.deepEqual(await ready(app), { status: 200, body: { success: true, data: { status: 'ready' } } });
    readiness.stopping();
    assert.deepEqual(await ready(app), {
      status: 503,
      body: { success: false, code: 'service_unavailable', message: 'Not ready: the service is shutting down' },
    });
    readiness.serving();
    assert.equal((await ready(app)).status, 503, 'a stopping process never serves again');
    assert.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  });

  it('is 503 when the service\'s schema is gone from under it, and 200 once it is back', async () => {
    const t = await startTestApp();
    after(() => t.close());
    assert.equal((await ready(t.app)).status, 200);
    if (TEST_DB === 'postgres') {
      await t.db.query(`DROP SCHEMA "${t.database.schema}" CASCADE`);
    } else {
      await t.db.query('ALTER TABLE schema_migrations RENAME TO schema_migrations_away');
    }
    const down = await ready(t.app);
    assert.equal(down.status, 503);
    assert.equal(down.body.message, 'Not ready: the database does not answer (or its schema is missing)');
    assert.equal((await t.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    if (TEST_DB === 'postgres') {
      await t.db.query(`CREATE SCHEMA "${t.database.schema}"`);
      await migrate(t.db);
    } else {
      await t.db.query('ALTER TABLE schema_migrations_away RENAME TO schema_migrations');
    }
    assert.equal((await ready(t.app)).status, 200);
  });

  it('is 503 when the database stops answering (its port closed), and 200 when it returns', { skip: TEST_DB !== 'postgres' && 'needs PostgreSQL behind a TCP hop (TEST_DB=postgres)' }, async () => {
    const database = await openTestDatabase();
    after(() => database.close());
    const hop = new DatabaseHop();
    await hop.start();
    after(() => hop.stop());
    const url = new URL(database.url!);
    url.port = String(hop.port);
    const db = await openDatabase({ url: url.toString(), schema: database.schema!, poolMax: 4 });
    after(() => db.close().catch(() => {}));
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', JWT_SECRET: TEST_JWT_SECRET, METRICS_TOKEN: undefined });
    const app = await buildApp(config, { db, processor: new SimulatedProcessor(new SimulatedLedger(db)) });
    after(() => app.close());
    assert.equal((await ready(app)).status, 200);

    await hop.stop();
    const started = Date.now();
    const down = await ready(app);
    assert.equal(down.status, 503);
    assert.match(down.body.message!, /database does not answer/);
    assert.ok(Date.now() - started < 3000, 'the probe answers within its own bound');
    // The scrape still answers while the database is down: what is counted in memory, and the pool.
    const scrape = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(scrape.statusCode, 200);
    assert.match(scrape.body, /^payment_db_pool_waiting \d+$/m);
    assert.doesNotMatch(scrape.body, /^payment_payments\{/m);

    await hop.start();
    let back = 0;
    for (let i = 0; i < 50 && back !== 200; i++) {
      back = (await ready(app)).status;
      if (back !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(back, 200);
  });
});
