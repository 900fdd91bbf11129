import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifySchema } from 'fastify';
import { requireDocumentedOperations } from '../../src/http/plugins/api-document.js';
import { Envelope, errorResponses, withErrorResponses } from '../../src/http/schemas/common.js';
import { exampleOf } from '../../src/http/schemas/example-of.js';

const Answer = Envelope(Type.Object({ id: Type.String({ examples: ['re_123'] }), at: Type.String({ format: 'date-time' }) }));

/** Registers one route behind the rule and answers its final schema, or throws what the rule refused. */
async function register(schema: FastifySchema | undefined, before?: { operationId: string }) {
  const app = Fastify();
  requireDocumentedOperations(app);
  if (before) app.get('/first', { schema: { operationId: before.operationId, summary: 'First', response: { 200: Answer } } }, async () => ({}));
  let seen: FastifySchema | undefined;
  app.addHook('onRoute', (route) => {
    if (route.url === '/thing' && route.method !== 'HEAD') seen = route.schema;
  });
  app.post('/thing', schema ? { schema } : {}, async () => ({}));
  await app.ready();
  await app.close();
  return seen!;
}

describe('every route is a complete operation of the API document, or the app does not build', () => {
  const complete = { operationId: 'createThing', summary: 'Create a thing', response: { 200: Answer } };

  it('refuses a route without a schema, an operationId, a camelCase one, a summary or a 2xx answer', async () => {
    await assert.rejects(register(undefined), /POST \/thing declares no schema/);
    await assert.rejects(register({ ...complete, operationId: undefined }), /POST \/thing needs a camelCase operationId/);
    await assert.rejects(register({ ...complete, operationId: 'create-thing' }), /needs a camelCase operationId .*"create-thing"/);
    await assert.rejects(register({ ...complete, summary: undefined }), /POST \/thing needs a summary/);
    await assert.rejects(register({ ...complete, response: errorResponses('invalid_state') }), /documents no 2xx answer/);
  });

  it('refuses an operationId another route already has', async () => {
    await assert.rejects(register(complete, { operationId: 'createThing' }), /POST \/thing reuses operationId createThing of GET \/first/);
  });

  it('refuses an answer it cannot make an example for, naming the field', async () => {
    const response = { 200: Envelope(Type.Object({ reason: Type.String() })) };
    await assert.rejects(register({ ...complete, response }), /POST \/thing, answer 200: data\.reason has no example/);
  });

  it('adds the answers of every operation (and of reading a body), a description and an example to each answer', async () => {
    const schema = await register(complete);
    const response = schema.response as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(response), ['200', '400', '413', '415', '500']);
    assert.deepEqual(response['200']!.examples, [{ success: true, data: { id: 're_123', at: '2026-01-15T09:30:00.000Z' } }]);
    assert.equal(response['200']!['x-response-description'], 'OK');
    assert.deepEqual(Object.keys(response['400']!['x-examples'] as object), ['card_data_not_allowed', 'malformed_json', 'validation_failed']);
  });
});

describe('error answers', () => {
  it('group codes by status, each code with its example', () => {
    const response = errorResponses('refund_exceeds_amount', 'invalid_state') as Record<number, Record<string, any>>;
    assert.deepEqual(Object.keys(response), ['400', '409', '500']);
    assert.deepEqual(response[400]!.properties.code.enum, ['card_data_not_allowed', 'refund_exceeds_amount', 'validation_failed']);
    assert.deepEqual(response[400]!['x-examples'].refund_exceeds_amount.value, {
      success: false,
      message: 'amount 3000 exceeds what is left to refund (1500)',
      code: 'refund_exceeds_amount',
      param: 'amount',
      amount_remaining: 1500,
    });
  });

  it('merge into a route\'s answers: codes of one status are joined, another answer is kept', () => {
    const ok = Envelope(Type.Object({}));
    const merged = withErrorResponses({ 200: ok, ...errorResponses('invalid_amount') }, 'unauthorized', 'idempotency_error') as Record<number, any>;
    assert.equal(merged[200], ok);
    assert.deepEqual(merged[400].properties.code.enum, ['card_data_not_allowed', 'idempotency_error', 'invalid_amount', 'validation_failed']);
    assert.deepEqual(merged[401].properties.code.enum, ['unauthorized']);
  });
});

describe('exampleOf', () => {
  it('builds a value from the fields\' examples; nullable fields without one are null; optional ones are left out', () => {
    const schema = Type.Object({
      status: Type.Union([Type.Literal('succeeded'), Type.Literal('canceled')]),
      next_action: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
      failure: Type.Union([Type.String(), Type.Null()]),
      cards: Type.Array(Type.Object({ last4: Type.String({ examples: ['4242'] }) })),
      note: Type.Optional(Type.String()),
      count: Type.Integer({ minimum: 1 }),
    });
    assert.deepEqual(exampleOf(schema), { status: 'succeeded', next_action: null, failure: null, cards: [{ last4: '4242' }], count: 1 });
  });
});
