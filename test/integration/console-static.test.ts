import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { CONSOLE_DIST, installConsole } from '../../src/http/plugins/console.js';
import { installErrorHandler } from '../../src/http/plugins/error-handler.js';
import { ensureConsoleBuilt } from '../browser/browser.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

/** The console's files as the service serves them: its own CSP, cache rules, nothing outside its folder. */
describe('the operations console\'s static files', () => {
  let t: TestApp;
  before(async () => {
    ensureConsoleBuilt();
    t = await startTestApp();
  });
  after(() => t.close());

  it('serves the page under a CSP allowing only its own scripts, styles and calls', async () => {
    const bare = await t.anonymous.get('/payment/console');
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.location, '/payment/console/');
    const page = await t.anonymous.get('/payment/console/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.body), /<script type="module" crossorigin src="\/payment\/console\/assets\/index-[\w-]+\.js">/);
    assert.doesNotMatch(String(page.body), /<script>|<script type="module">/, 'no inline script');
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    // The API keeps its own policy.
    assert.doesNotMatch(String((await t.anonymous.get('/payment/health')).headers['content-security-policy']), /default-src 'none'/);
  });

  it('serves the hashed assets for good, and nothing else', async () => {
    const script = readdirSync(path.join(CONSOLE_DIST, 'assets')).find((name) => name.endsWith('.js'));
    assert.ok(script);
    const asset = await t.anonymous.get(`/payment/console/assets/${script}`);
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    for (const url of ['/payment/console/assets/missing.js', '/payment/console/.sources-digest', '/payment/console/%2e%2e/package.json', '/payment/console/assets/..%2f..%2fpackage.json']) {
      const response = await t.anonymous.get(url);
      assert.ok(response.status === 404 || response.status === 403, `${url} answered ${response.status}`);
      assert.equal(response.body.success, false, url);
    }
  });

  it('without a build the page says how to build it', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'console-empty-'));
    const app = Fastify();
    installErrorHandler(app);
    await installConsole(app, `${empty}/`);
    try {
      const response = await app.inject({ method: 'GET', url: '/payment/console/' });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'not_found');
      assert.match(response.json().message, /npm start/);
    } finally {
      await app.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
