import { Ajv, type Options } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { FastifyInstance, FastifySchema, FastifySchemaValidationError } from 'fastify';

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
    httpPart === 'body'
      ? bodies.compile(schema as object)
      : finiteOnly(urlParts.compile(httpPart === 'headers' ? lowerCaseHeaderNames(schema as object) : (schema as object))),
  );
}

type Validate = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null | undefined };

/**
 * Ajv turns `1e309` in a query string into Infinity and lets it pass as an integer below any
 * maximum; no text value may become a number that is not finite.
 */
function finiteOnly(compiled: Validate): Validate {
  const validate: Validate = (data) => {
    const valid = compiled(data);
    validate.errors = compiled.errors ?? null;
    if (!valid || typeof data !== 'object' || data === null) return valid;
    const name = Object.keys(data).find((key) => {
      const value = (data as Record<string, unknown>)[key];
      return typeof value === 'number' && !Number.isFinite(value);
    });
    if (name === undefined) return true;
    validate.errors = [{ instancePath: `/${name}`, schemaPath: '#/type', keyword: 'type', params: { type: 'number' }, message: 'must be a finite number' } as FastifySchemaValidationError];
    return false;
  };
  return validate;
}

/**
 * Request headers arrive with lower-case names, so a header schema, which names them as the API
 * document shows them (`Idempotency-Key`), is matched in lower case (as Fastify's own compiler does).
 */
function lowerCaseHeaderNames(schema: { properties?: Record<string, unknown>; required?: string[] }): object {
  return {
    ...schema,
    ...(schema.properties ? { properties: Object.fromEntries(Object.entries(schema.properties).map(([name, value]) => [name.toLowerCase(), value])) } : {}),
    ...(schema.required ? { required: schema.required.map((name) => name.toLowerCase()) } : {}),
  };
}
