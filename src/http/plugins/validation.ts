import { Ajv, type Options } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

function buildAjv(options: Options): Ajv {
  // verbose: errors carry their schema, so messages can quote its description.
  const ajv = new Ajv({ allErrors: false, useDefaults: true, removeAdditional: false, verbose: true, ...options });
  addFormats(ajv, ['email', 'uri', 'date-time']);
  // OpenAPI annotations that are not JSON Schema keywords.
  ajv.addVocabulary(['example', 'xml', 'externalDocs', 'discriminator']);
  return ajv;
}

/**
 * JSON bodies are validated as sent: a string is never turned into a number, so `"2500"` or
 * `65.22` is refused with a message rather than guessed at. Path and query values arrive as text
 * and are converted to the schema's type.
 */
export function installValidators(app: FastifyInstance): void {
  const bodies = buildAjv({ coerceTypes: false });
  const urlParts = buildAjv({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }: { schema: FastifySchema; httpPart?: string }) =>
    (httpPart === 'body' ? bodies : urlParts).compile(schema as object),
  );
}
