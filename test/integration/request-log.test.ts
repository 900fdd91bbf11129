import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loggerOptions } from '../../src/app.js';
import { createCustomer, startTestApp, type TestApp } from '../helpers/app.js';

/** The service's own logger settings, writing into an array. */
function capture(lines: Array<Record<string, any>>) {
  return { ...(loggerOptions({ logLevel: 'info' }) as object), stream: { write: (line: string) => void lines.push(JSON.parse(line)) } };
}

describe('request log lines in development', () => {
  const development: Array<Record<string, any>> = [];
  let dev: TestApp;
  before(async () => {
    dev = await startTestApp({ env: { NODE_ENV: 'development' }, logger: capture(development) });
  });
  after(() => dev.close());

  const requestLines = (lines: Array<Record<string, any>>, reqId: string) => lines.filter((line) => line.reqId === reqId);

  it('one line per request once it is answered: method, path, status and time', async () => {
    await createCustomer(dev.api);
    const answered = await dev.api.get('/payment/customer/nobody%40example.com');
    const reqId = String(answered.headers['x-request-id']);
    const lines = requestLines(development, reqId);
    assert.equal(lines.length, 1, JSON.stringify(lines));
    assert.match(lines[0]!.msg, /^GET \/payment\/customer\/nobody%40example\.com 404 \d+ ms$/);
    assert.deepEqual([lines[0]!.req.method, lines[0]!.res.statusCode, typeof lines[0]!.responseTime], ['GET', 404, 'number']);
    assert.ok(!development.some((line) => line.msg === 'incoming request' || line.msg === 'request completed'));
    const unknownRoute = await dev.anonymous.get('/nowhere');
    const notFound = requestLines(development, String(unknownRoute.headers['x-request-id']));
    assert.deepEqual(notFound.map((line) => line.msg.replace(/\d+ ms$/, 'N ms')), ['GET /nowhere 404 N ms'], 'no separate "not found" line');
  });
});
