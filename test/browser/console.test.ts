import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { createCustomer, outage, pay, saveCard, startTestApp, type TestApp } from '../helpers/app.js';
import { adminToken } from '../helpers/tokens.js';
import { AuthTokenEndpoint } from '../stubs/auth-token-endpoint.js';
import { OrderServiceStub } from '../stubs/order-service.js';
import { ensureConsoleBuilt, launchBrowser, requireChromium, screenshot, seriousViolations } from './browser.js';

/**
 * The operations console in Debian's Chromium, against the real service on the test database with
 * the simulated processor: an operator signs in, finds a payment, refunds it, sees what needs a person.
 */
describe('the operations console in a browser', () => {
  let t: TestApp;
  let orderService: OrderServiceStub;
  let authService: AuthTokenEndpoint;
  let base: string;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const failBefore = new Set<string>();
  const orderId = `order_${randomBytes(5).toString('hex')}`;
  let paid: string;
  let declined: string;

  before(async () => {
    requireChromium();
    ensureConsoleBuilt();
    orderService = await OrderServiceStub.start();
    authService = await AuthTokenEndpoint.start();
    t = await startTestApp({
      jwks: true,
      env: { RECONCILE_GRACE_MS: '0', ORDER_SERVICE_URL: orderService.url, OUTBOX_BACKOFF_MAX_MS: '150', OUTBOX_SWEEP_INTERVAL_MS: '0', ...authService.env() },
      faults: { before: (operation) => { if (failBefore.has(operation)) throw outage(operation); } },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const customerId = await createCustomer(t.api, `console-${randomBytes(4).toString('hex')}@example.com`, 'Ada Operator');
    const card = await saveCard(t.api, customerId);
    paid = (await pay(t.api, customerId, card, { amount: 5000, orderId })).body.data.payment_intent_id;
    declined = (await pay(t.api, customerId, 'pm_card_chargeDeclinedInsufficientFunds')).body.payment_intent_id;
    assert.ok(paid && declined);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await orderService?.close();
    await authService?.close();
  });

  const until = async (check: () => Promise<boolean>, what: string) => {
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      if (await check()) return;
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const expectAccessible = async (name: string) => assert.deepEqual(await seriousViolations(page), [], `${name}: no serious accessibility violations`);

  it('a wrong token is refused with a clear sign-in error', async () => {
    await page.goto(`${base}/payment/console/`);
    await page.getByLabel('Administrator bearer token').fill('not-a-token.at.all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Sign-in failed: the service refused this token' }).waitFor();
    await expectAccessible('sign-in');
    await screenshot(page, 'sign-in-error');
  });

  it('signs in with an admin token and shows today at a glance', async () => {
    await page.getByLabel('Administrator bearer token').fill(await adminToken({ expiresIn: 600 }));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'At a glance' }).waitFor();
    const today = page.getByRole('region', { name: 'Today (UTC)' });
    await today.getByText('$50.00').waitFor();
    await today.getByText('insufficient_funds').waitFor();
    await page.locator('.uplot canvas').first().waitFor();
    await expectAccessible('at a glance');
    await screenshot(page, 'at-a-glance');
  });

  it('finds a payment by its order id', async () => {
    // The unfiltered list is held back until the order id is typed, then let through before the
    // search: the list arriving while the operator types must not wipe what they typed.
    let release!: () => void;
    const typed = new Promise<void>((resolve) => (release = resolve));
    let held = 0;
    const unfiltered = (url: URL) => url.pathname === '/payment/admin/payments' && !url.searchParams.has('orderId');
    await page.route(unfiltered, async (route) => {
      held += 1;
      await typed;
      await route.continue();
    });
    await page.getByRole('link', { name: 'Payments', exact: true }).click();
    await page.getByLabel('Order id', { exact: true }).fill(orderId);
    release();
    await page.getByRole('table').waitFor();
    await page.unroute(unfiltered);
    assert.equal(held, 1, 'the unfiltered list was asked for once, and held');
    assert.equal(await page.getByLabel('Order id', { exact: true }).inputValue(), orderId, 'the typed order id survives the list arriving');
    await page.getByRole('button', { name: 'Search' }).click();
    // The unfiltered list shows this payment too: wait for the filtered one, the order's single payment.
    // (The page's CSP forbids evaluating strings in it, so the test polls from outside.)
    await until(async () => page.url().includes('orderId=') && (await page.locator('tbody tr').count()) === 1, 'the order\'s single payment listed');
    await page.getByRole('link', { name: paid }).waitFor();
    await expectAccessible('payments');
    await screenshot(page, 'payments');
    await page.getByRole('link', { name: paid }).click();
    await page.getByTestId('remaining').filter({ hasText: '$50.00' }).waitFor();
  });

  it('refunds half after a confirmation; a double click on confirm refunds once', async () => {
    await page.getByRole('button', { name: 'Refund…' }).click();
    await page.getByLabel('Amount (USD)').fill('25.00');
    await page.getByRole('button', { name: 'Review' }).click();
    const confirmation = page.getByRole('alertdialog');
    await confirmation.getByText(new RegExp(`^Refund (US)?\\$25\\.00 of payment ${paid}\\?$`)).waitFor();
    const keys: string[] = [];
    const record = (request: import('playwright-core').Request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/payment/refund') keys.push(request.headers()['idempotency-key'] ?? '');
    };
    page.on('request', record);
    await confirmation.getByRole('button', { name: 'Confirm refund' }).dblclick();
    await page.getByRole('status').filter({ hasText: 'done' }).waitFor();
    await page.getByTestId('remaining').filter({ hasText: '$25.00' }).waitFor();
    await page.getByRole('region', { name: 'Timeline' }).getByText('$25.00').waitFor();
    page.off('request', record);
    // However many sends the double click made, they were one confirmation: one key.
    assert.ok(keys.length >= 1);
    assert.equal(new Set(keys).size, 1);
    assert.match(keys[0]!, /^[0-9a-f-]{36}$/);

    const ours = await t.db.query<{ amount: number }>('SELECT r.amount FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.processor_payment_intent_id = $1', [paid]);
    assert.deepEqual(ours.rows.map((r) => Number(r.amount)), [2500]);
    const processors = await t.db.query("SELECT id FROM simulated_processor_objects WHERE type = 'refund' AND data->>'payment_intent' = $1", [paid]);
    assert.equal(processors.rowCount, 1, 'the processor holds one refund');
    await expectAccessible('payment');
    await screenshot(page, 'payment');
  });

  it('shows the processor\'s view beside ours', async () => {
    await page.getByRole('button', { name: 'Ask the processor' }).click();
    const panel = page.getByRole('region', { name: 'The processor\'s view' });
    await panel.getByRole('columnheader', { name: 'simulated' }).waitFor();
    assert.equal(await panel.getByText('(differs)').count(), 0);
  });

  it('a declined payment shows its decline code', async () => {
    await page.goto(`${base}/payment/console/#/payment/${declined}`);
    await page.getByRole('note').filter({ hasText: 'Declined: insufficient_funds' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Refund…' }).isDisabled(), true);
  });

  it('captures part of an authorization, and cancels another, each after a confirmation', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const held = (await pay(t.api, customerId, card, { amount: 4000, captureMethod: 'manual' })).body.data.payment_intent_id;
    const released = (await pay(t.api, customerId, card, { amount: 1500, captureMethod: 'manual' })).body.data.payment_intent_id;
    await page.goto(`${base}/payment/console/#/payment/${held}`);
    await page.getByRole('button', { name: 'Capture…' }).click();
    await page.getByLabel('Amount (USD)').fill('30');
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('alertdialog').getByText(new RegExp(`^Capture (US)?\\$30\\.00 of payment ${held}\\?$`)).waitFor();
    await page.getByRole('button', { name: 'Confirm capture' }).click();
    await page.getByRole('status').filter({ hasText: 'done' }).waitFor();
    await page.getByTestId('remaining').filter({ hasText: '$30.00' }).waitFor();
    assert.equal((await t.api.get(`/payment/payment-intent/${held}`)).body.data.amount_received, 3000);

    await page.goto(`${base}/payment/console/#/payment/${released}`);
    await page.getByRole('button', { name: 'Cancel payment…' }).click();
    await page.getByRole('button', { name: 'Review' }).click();
    await page.getByRole('button', { name: 'Confirm cancel' }).click();
    await page.getByRole('status').filter({ hasText: 'done' }).waitFor();
    assert.equal((await t.api.get(`/payment/payment-intent/${released}`)).body.data.status, 'canceled');
  });

  it('sends a dead notification to the Order Service again', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    const order = `order_${randomBytes(5).toString('hex')}`;
    orderService.set({ kind: 'status', status: 400 });
    let notified: string;
    try {
      notified = (await pay(t.api, customerId, card, { orderId: order })).body.data.payment_intent_id;
      await until(async () => (await t.db.query("SELECT 1 FROM outbox WHERE order_id = $1 AND status = 'dead'", [order])).rows.length === 1, 'a dead notification');
    } finally {
      orderService.set({ kind: 'ok' });
    }
    await page.goto(`${base}/payment/console/#/payment/${notified}`);
    const notifications = page.getByRole('region', { name: 'Notifications to the Order Service' });
    await notifications.getByText('dead').waitFor();
    await notifications.getByRole('button', { name: 'Retry…' }).click();
    await notifications.getByRole('button', { name: 'Confirm: send “PAYMENT RECEIVED” again' }).click();
    await page.getByRole('status').filter({ hasText: 'Notification sent again' }).waitFor();
    await until(async () => orderService.received().some((call) => call.orderId === order), 'the Order Service told again');
  });

  it('signs in from the link npm start prints, and takes the token off the address', async () => {
    const fresh = await browser.context.newPage();
    await fresh.goto(`${base}/payment/console/#token=${await adminToken({ expiresIn: 600 })}`);
    await fresh.getByRole('heading', { name: 'At a glance' }).waitFor();
    assert.doesNotMatch(fresh.url(), /token/);
    await fresh.close();
  });

  it('a payment the reconciler could not settle appears under Needs attention, counted in the navigation, and is settled from there', async () => {
    const customerId = await createCustomer(t.api);
    const card = await saveCard(t.api, customerId);
    failBefore.add('payment_intents.create');
    const lost = await pay(t.api, customerId, card, { amount: 1234 });
    assert.equal(lost.status, 503);
    await t.app.services.reconciler.runOnce();
    failBefore.clear();
    // Ten minutes untouched since the reconciler's try, without waiting them out.
    await t.db.query("UPDATE payments SET updated_at = now() - interval '1 hour' WHERE status = 'unknown'");

    await page.goto(`${base}/payment/console/#/attention`);
    const left = page.getByRole('region', { name: /Left for a person/ });
    await left.getByText('$12.34').waitFor();
    await left.getByText('outcome unknown').waitFor();
    await page.getByRole('link', { name: 'Needs attention (1)' }).waitFor();
    await expectAccessible('needs attention');
    await screenshot(page, 'needs-attention');

    // The processor is back: the operator settles it from here, after a confirmation.
    await left.getByRole('button', { name: /^Settle now: payment / }).click();
    const confirm = page.getByRole('alertdialog', { name: /^Settle payment / });
    await expectAccessible('settle confirmation');
    await confirm.getByRole('button', { name: 'Confirm: ask the processor' }).click();
    await page.getByRole('status').filter({ hasText: /^Settled payment pi_\w+ \(\D*12\.34\): the processor has it succeeded, and so do we$/ }).waitFor();
    await left.getByText('Nothing: every payment and refund is settled.').waitFor();
    const { rows } = await t.db.query<{ status: string; processor_payment_intent_id: string }>(
      'SELECT status, processor_payment_intent_id FROM payments WHERE amount = 1234',
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'succeeded');
    assert.equal((await t.processor.retrievePaymentIntent(rows[0]!.processor_payment_intent_id)).status, 'succeeded');
    await page.getByRole('link', { name: 'At a glance' }).click();
    await page.getByRole('link', { name: 'Needs attention (0)' }).waitFor();
    await screenshot(page, 'needs-attention-settled');
  });
});
