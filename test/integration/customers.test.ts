import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, uniqueEmail, type TestApp } from '../helpers/app.js';
import { storedCustomers } from '../helpers/stored-text.js';

describe('customers', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  // Found by the email's keyed hash, sealed at rest (checked), opened.
  const rowsFor = (email: string) => storedCustomers(t.db, t.app.services.sealedFields, email);

  it('creates a customer: 201 with the document\'s shape, one row, one processor customer', async () => {
    const email = uniqueEmail();
    const response = await t.api.post('/payment/customer', { email, name: 'John Doe' });
    assert.equal(response.status, 201);
    // The document's data.customerId, and the same id at the top level, where the web app reads it.
    assert.deepEqual(Object.keys(response.body), ['success', 'customerId', 'data']);
    assert.equal(response.body.success, true);
    assert.deepEqual(Object.keys(response.body.data), ['customerId']);
    assert.equal(response.body.customerId, response.body.data.customerId);
    assert.match(response.body.data.customerId, /^cus_[A-Za-z0-9]{14}$/);
    const rows = await rowsFor(email);
    assert.deepEqual(rows, [{ email, name: 'John Doe', processor_customer_id: response.body.data.customerId }]);
    assert.deepEqual((await t.processor.findCustomersByEmail(email)).map((c) => c.id), [response.body.data.customerId]);
  });

  it('answers the existing customer (200) for the same email in any case, creating nothing', async () => {
    const email = uniqueEmail('Mixed.Case');
    const first = await t.api.post('/payment/customer', { email, name: 'A' });
    const second = await t.api.post('/payment/customer', { email: email.toUpperCase(), name: 'B' });
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    assert.equal(second.body.data.customerId, first.body.data.customerId);
    const rows = await rowsFor(email);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.name, 'A');
  });

  it('creates one customer when the same email is posted concurrently', async () => {
    const email = uniqueEmail('race');
    const responses = await Promise.all(Array.from({ length: 10 }, () => t.api.post('/payment/customer', { email, name: 'Racer' })));
    const ids = new Set(responses.map((r) => r.body.data.customerId));
    assert.equal(ids.size, 1);
    assert.equal(responses.filter((r) => r.status === 201).length, 1);
    assert.ok(responses.every((r) => r.status === 201 || r.status === 200));
    assert.equal((await rowsFor(email)).length, 1);
    const processorCustomers = await t.db.query(
      "SELECT id FROM simulated_processor_objects WHERE type = 'customer' AND lookup_key = lower($1)",
      [email],
    );
    assert.equal(processorCustomers.rowCount, 1);
  });

  it('finds a customer by URL-encoded email, whatever its case', async () => {
    const email = uniqueEmail('find+me');
    const created = await t.api.post('/payment/customer', { email, name: 'Find Me' });
    const found = await t.api.get(`/payment/customer/${encodeURIComponent(email.toUpperCase())}`);
    assert.equal(found.status, 200);
    assert.deepEqual(found.body, { success: true, data: { customerId: created.body.data.customerId } });
  });

  it('answers 404 customer_not_found for an unknown email', async () => {
    const response = await t.api.get(`/payment/customer/${encodeURIComponent(uniqueEmail('nobody'))}`);
    assert.equal(response.status, 404);
    assert.equal(response.body.success, false);
    assert.equal(response.body.code, 'customer_not_found');
    assert.match(response.body.message, /No customer with email/);
  });

  it('refuses a bad email or a missing one with 400 and writes nothing', async () => {
    const before = await t.db.query('SELECT count(*)::int AS n FROM customers');
    for (const [body, message] of [
      [{ name: 'No Email' }, /email is required/],
      [{ email: 'not-an-email', name: 'X' }, /email must be a valid email/],
      [{ email: 42 }, /email must be string/],
      [{ email: `${'a'.repeat(250)}@example.com` }, /email must NOT have more than 254 characters/],
    ] as const) {
      const response = await t.api.post('/payment/customer', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.code, 'validation_failed');
      assert.match(response.body.message, message);
    }
    const invalidPath = await t.api.get('/payment/customer/not-an-email');
    assert.equal(invalidPath.status, 400);
    assert.match(invalidPath.body.message, /email \(in the path\) must be a valid email/);
    const afterCount = await t.db.query('SELECT count(*)::int AS n FROM customers');
    assert.deepEqual(afterCount.rows, before.rows);
  });
});
