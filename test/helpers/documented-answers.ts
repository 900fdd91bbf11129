import type { FastifyInstance } from 'fastify';
import { documentedErrorCodes } from '../../src/http/schemas/common.js';

/**
 * Watches every answer of an app under test and keeps those its route does not document: a status
 * missing from the route's `schema.response`, or an error code missing from that status's list.
 * Every integration test thereby checks that the API document tells the whole truth.
 */
export function watchDocumentedAnswers(app: FastifyInstance): { undocumented(): string[] } {
  const found = new Set<string>();
  app.addHook('onSend', async (request, reply, payload) => {
    const schema = request.routeOptions.schema;
    // Unknown paths (the not-found handler) and Swagger UI's own files belong to no operation.
    if (request.is404 || !schema || schema.hide) return payload;
    const responses = (schema.response ?? {}) as Record<string, unknown>;
    const name = `${request.method} ${request.routeOptions.url}`;
    const answer = responses[String(reply.statusCode)];
    if (answer === undefined) {
      found.add(`${name} answered ${reply.statusCode}, which it does not document`);
      return payload;
    }
    const codes = documentedErrorCodes(answer);
    if (codes && typeof payload === 'string') {
      const code = parseCode(payload);
      if (!codes.includes(code as never)) found.add(`${name} answered ${reply.statusCode} ${code}, which it does not document`);
    }
    return payload;
  });
  return { undocumented: () => [...found] };
}

function parseCode(payload: string): string | undefined {
  try {
    return (JSON.parse(payload) as { code?: string }).code;
  } catch {
    return undefined;
  }
}
