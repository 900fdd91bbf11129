import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loggerOptions } from '../../src/app.js';
import { createCustomer, pay, payAwaitingAuthentication, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { startStripeTestApp, type StripeTestApp } from '../stripe-server/stripe-test-app.js';

const RETURN_URL = 'https://shop.example.com/checkout/complete?cart=42';

/**
 * The simulated processor's 3-D Secure page, the stand-in for Stripe's hosted test page: the
 * customer's browser (or a script) completes or fails the challenge there, the payment moves on at
 * the processor, and the service sees it through its usual status poll.
 */
describe('the simulated 3-D Secure page', () => {
  let t: TestApp;
  const logLines: string[] = [];
  before(async () => {
    // The service's own logger settings, into an array.
    t = await startTestApp({ logger: { ...(loggerOptions({ logLevel: 'info' }) as object), stream: { write: (line: string) => void logLines.push(line) } } });
  });
  after(() => t.close());

  /** A payment waiting for 3-D Secure, and the page its next_action names. */
  async function awaitingCustomer(extra: Record<string, unknown> = {}) {
    const payment = await payAwaitingAuthentication(t.api, extra);
    const url: string = payment.nextAction.redirect_to_url?.url ?? payment.nextAction.use_stripe_sdk?.stripe_js;
    return { ...payment, url };
  }
  const processorStatus = async (id: string) =>
    (await t.db.query<{ status: string }>("SELECT data->>'status' AS status FROM simulated_processor_objects WHERE id = $1", [id])).rows[0]?.status;
  const rowStatus = async (id: string) =>
    (await t.db.query<{ status: string }>('SELECT status FROM payments WHERE processor_payment_intent_id = $1', [id])).rows[0]?.status;
  /** The page's form, as a browser posts it. */
  const submit = (url: string, outcome: string) =>
    t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `outcome=${outcome}` });

  it('answers the service\'s own page in next_action, with Complete and Fail buttons', async () => {
    const { id, nextAction, url } = await awaitingCustomer({ returnUrl: RETURN_URL });
    assert.equal(nextAction.type, 'redirect_to_url');
    assert.equal(nextAction.redirect_to_url.return_url, RETURN_URL);
    assert.match(url, new RegExp(`^/payment/simulated/3ds/${id}\\?challenge=[\\w-]{32}$`));
    const page = await t.app.inject({ method: 'GET', url });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.match(page.body, /<button type="submit" name="outcome" value="complete">Complete<\/button>/);
    assert.match(page.body, /<button type="submit" name="outcome" value="fail">Fail<\/button>/);
    assert.match(page.body, /25\.00 USD/);
    assert.ok(page.body.includes(`action="${url.replace(/&/g, '&amp;')}"`), 'the form posts back to the page, challenge included');
    assert.equal(await processorStatus(id), 'requires_action', 'looking at the page changes nothing');
  });

  it('Complete: back to the return URL as Stripe sends it, and the payment is succeeded', async () => {
    const { id, url } = await awaitingCustomer({ returnUrl: RETURN_URL });
    const answer = await submit(url, 'complete');
    assert.equal(answer.statusCode, 303);
    const location = new URL(String(answer.headers.location));
    assert.equal(`${location.origin}${location.pathname}`, 'https://shop.example.com/checkout/complete');
    assert.equal(location.searchParams.get('cart'), '42', 'the return URL\'s own query is kept');
    assert.equal(location.searchParams.get('payment_intent'), id);
    assert.equal(location.searchParams.get('redirect_status'), 'succeeded');
    assert.match(location.searchParams.get('payment_intent_client_secret') ?? '', new RegExp(`^${id}_secret_`));
    assert.equal(await processorStatus(id), 'succeeded');
    const polled = await t.api.get(`/payment/payment-intent/${id}`);
    assert.equal(polled.body.data.status, 'succeeded');
    assert.equal(polled.body.data.amount_received, 2500);
    assert.equal(polled.body.data.next_action, null);
    assert.equal(await rowStatus(id), 'succeeded');
  });

  it('Fail: back to the return URL with redirect_status failed, and the payment is given up (canceled), its order free for another card', async () => {
    const { id, url, customerId, orderId } = await awaitingCustomer({ returnUrl: RETURN_URL });
    const answer = await submit(url, 'fail');
    assert.equal(answer.statusCode, 303);
    assert.equal(new URL(String(answer.headers.location)).searchParams.get('redirect_status'), 'failed');
    const polled = await t.api.get(`/payment/payment-intent/${id}`);
    assert.equal(polled.body.data.status, 'canceled');
    assert.equal(polled.body.data.last_payment_error.code, 'payment_intent_authentication_failure');
    assert.equal(await rowStatus(id), 'canceled');
    assert.equal(await processorStatus(id), 'canceled', 'the intent is canceled at the processor: its client secret cannot confirm it again');
    const again = await pay(t.api, customerId, await saveCard(t.api, customerId), { orderId });
    assert.equal(again.status, 200, 'the order is free for another card');
  });

  it('without a return URL (Stripe.js\'s use_stripe_sdk), a script posts JSON or the query and gets a page', async () => {
    const completed = await awaitingCustomer();
    assert.equal(completed.nextAction.type, 'use_stripe_sdk');
    const json = await t.app.inject({ method: 'POST', url: completed.url, payload: { outcome: 'complete' } });
    assert.equal(json.statusCode, 200);
    assert.match(json.body, /Authentication completed\./);
    assert.equal((await t.api.get(`/payment/payment-intent/${completed.id}`)).body.data.status, 'succeeded');

    const failed = await awaitingCustomer();
    const query = await t.app.inject({ method: 'POST', url: `${failed.url}&outcome=fail` });
    assert.equal(query.statusCode, 200);
    assert.match(query.body, /Authentication failed\./);
    assert.equal((await t.api.get(`/payment/payment-intent/${failed.id}`)).body.data.status, 'canceled');
  });

  it('a manual-capture payment whose challenge passed is authorized, ready to capture', async () => {
    const { id, url } = await awaitingCustomer({ captureMethod: 'manual', returnUrl: RETURN_URL });
    assert.equal((await submit(url, 'complete')).statusCode, 303);
    assert.equal((await t.api.get(`/payment/payment-intent/${id}`)).body.data.status, 'requires_capture');
  });

  it('only the holder of the payment\'s next_action finishes it: a wrong, missing or foreign challenge is 404 and changes nothing', async () => {
    const mine = await awaitingCustomer({ returnUrl: RETURN_URL });
    const other = await awaitingCustomer({ returnUrl: RETURN_URL });
    const otherChallenge = new URL(other.url, 'http://x').searchParams.get('challenge');
    const path = `/payment/simulated/3ds/${mine.id}`;
    for (const url of [path, `${path}?challenge=${'A'.repeat(32)}`, `${path}?challenge=${otherChallenge}`, `/payment/simulated/3ds/pi_unknown?challenge=${otherChallenge}`]) {
      const shown = await t.app.inject({ method: 'GET', url });
      assert.equal(shown.statusCode, 404, url);
      assert.equal(JSON.parse(shown.body).code, 'payment_intent_not_found');
      const posted = await submit(url, 'complete');
      assert.equal(posted.statusCode, 404, url);
    }
    assert.equal(await processorStatus(mine.id), 'requires_action');
    assert.equal(await processorStatus(other.id), 'requires_action');
  });

  it('a second answer leaves the first in place', async () => {
    const { id, url } = await awaitingCustomer({ returnUrl: RETURN_URL });
    assert.equal((await submit(url, 'complete')).statusCode, 303);
    const second = await submit(url, 'fail');
    assert.equal(second.statusCode, 200);
    assert.match(second.body, /already been finished; nothing was changed/);
    assert.equal(await processorStatus(id), 'succeeded');
    const page = await t.app.inject({ method: 'GET', url });
    assert.doesNotMatch(page.body, /<form/, 'no buttons once finished');
  });

  it('an outcome other than complete or fail is 400 and changes nothing', async () => {
    const { id, url } = await awaitingCustomer({ returnUrl: RETURN_URL });
    for (const answer of [await submit(url, 'maybe'), await t.app.inject({ method: 'POST', url })]) {
      assert.equal(answer.statusCode, 400);
      assert.equal(JSON.parse(answer.body).code, 'validation_failed');
    }
    assert.equal(await processorStatus(id), 'requires_action');
  });

  it('keeps the challenge value out of the logs', async () => {
    const { url } = await awaitingCustomer({ returnUrl: RETURN_URL });
    const challenge = new URL(url, 'http://x').searchParams.get('challenge')!;
    logLines.length = 0;
    await t.app.inject({ method: 'GET', url });
    await submit(url, 'complete');
    const logged = logLines.join('');
    assert.match(logged, /\/payment\/simulated\/3ds\/pi_\w+\?challenge=\[redacted\]/);
    assert.ok(!logged.includes(challenge));
    // Outside development, Fastify's pair of lines per request, so a request that never finishes still shows.
    assert.deepEqual(logLines.map((line) => JSON.parse(line).msg), ['incoming request', 'request completed', 'incoming request', 'request completed']);
  });
});

describe('the simulated 3-D Secure page with PAYMENT_PROCESSOR=stripe', () => {
  let t: StripeTestApp;
  before(async () => {
    t = await startStripeTestApp();
  });
  after(() => t.close());

  it('does not exist: next_action is Stripe\'s own page and the service\'s route answers 404', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId, 'pm_card_authenticationRequired');
    const response = await pay(t.api, customerId, card, { returnUrl: RETURN_URL });
    assert.equal(response.body.data.status, 'requires_action');
    const id = response.body.data.payment_intent_id;
    assert.match(response.body.data.next_action.redirect_to_url.url, /^https:\/\/hooks\.stripe\.com\//);
    for (const method of ['GET', 'POST'] as const) {
      const answer = await t.app.inject({ method, url: `/payment/simulated/3ds/${id}?challenge=x&outcome=complete` });
      assert.equal(answer.statusCode, 404, method);
      assert.equal(JSON.parse(answer.body).code, 'not_found');
    }
    assert.equal((await t.api.get(`/payment/payment-intent/${id}`)).body.data.status, 'requires_action');
  });
});
