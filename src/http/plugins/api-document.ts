import { STATUS_CODES } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { BODY_ERRORS, documentedErrorCodes, withErrorResponses } from '../schemas/common.js';
import { exampleOf, MissingExampleError } from '../schemas/example-of.js';

/** Stable method names for generated clients: camelCase, a verb first (`createPaymentIntent`). */
const OPERATION_ID = /^[a-z][a-zA-Z0-9]*$/;
/** Fastify reads a body on these methods only (a GET's is ignored). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Makes every route a complete operation of the API document, or stops the app from building:
 * a schema with a camelCase `operationId` unique in the app, a `summary` and a 2xx answer. It adds
 * the answers any operation can give (`OPERATION_ERRORS`, and `BODY_ERRORS` where a body is read)
 * and an example to each answer that has none, built from its fields' examples. Install it before any route, so it sees them all;
 * routes hidden from the document (Swagger UI's own, the document itself) are left alone.
 */
export function requireDocumentedOperations(app: FastifyInstance): void {
  const operationIds = new Map<string, string>();
  app.addHook('onRoute', (route) => {
    // Fastify adds a HEAD route beside every GET, with the GET's schema; the document shows the GET.
    if (route.method === 'HEAD' || route.schema?.hide) return;
    const name = `${String(route.method)} ${route.url}`;
    const schema = route.schema;
    if (!schema) throw new Error(`Route ${name} declares no schema: give it operationId, summary and response`);
    const { operationId, summary } = schema;
    if (!operationId || !OPERATION_ID.test(operationId)) {
      throw new Error(`Route ${name} needs a camelCase operationId in its schema (got ${JSON.stringify(operationId)})`);
    }
    const taken = operationIds.get(operationId);
    if (taken && taken !== name) throw new Error(`Route ${name} reuses operationId ${operationId} of ${taken}`);
    operationIds.set(operationId, name);
    if (!summary) throw new Error(`Route ${name} needs a summary in its schema`);
    const response = schema.response as Record<string, unknown> | undefined;
    if (!response || !Object.keys(response).some((status) => /^2\d\d$/.test(status))) {
      throw new Error(`Route ${name} documents no 2xx answer in schema.response`);
    }
    const readsBody = (Array.isArray(route.method) ? route.method : [route.method]).some((method) => BODY_METHODS.has(method));
    route.schema = { ...schema, response: withExamples(name, withErrorResponses(response, ...(readsBody ? BODY_ERRORS : []))) };
  });
}

/**
 * Each answer with a description (the status's name unless the route gave one) and an example;
 * error answers bring theirs, one for each code.
 */
function withExamples(name: string, response: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(response).map(([status, answer]) => {
      const schema = answer as Record<string, unknown>;
      if (documentedErrorCodes(schema)) return [status, schema];
      const described = schema.description || schema['x-response-description'] ? {} : { 'x-response-description': STATUS_CODES[status] };
      try {
        return [status, { ...schema, ...described, ...(schema.examples || schema['x-examples'] ? {} : { examples: [exampleOf(schema)] }) }];
      } catch (error) {
        if (error instanceof MissingExampleError) throw new Error(`Route ${name}, answer ${status}: ${error.message}`);
        throw error;
      }
    }),
  );
}
