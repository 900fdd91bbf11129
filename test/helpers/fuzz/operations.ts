import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';

const addFormats: FormatsPlugin =
  (addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? (addFormatsModule as unknown as FormatsPlugin);

/** An OpenAPI 3.0 schema object, as the served document has it. */
export type Schema = Record<string, any>;

export interface Parameter {
  name: string;
  schema: Schema;
  required: boolean;
}

/** One operation of the served document: what to send and every status it may answer. */
export interface Operation {
  method: string;
  /** As documented: `/payment/payment-intent/{id}`. */
  path: string;
  pathParams: Parameter[];
  query: Parameter[];
  body: Schema | null;
  guarded: boolean;
  statuses: Set<number>;
  /** Validators of the documented 2xx bodies, by status. */
  success: Map<number, ValidateFunction>;
  toString(): string;
}

/** Every operation of the document, so that a route added later is fuzzed without a line changed here. */
export function operationsOf(spec: any): Operation[] {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const operations: Operation[] = [];
  for (const [path, byMethod] of Object.entries<Record<string, any>>(spec.paths)) {
    for (const [method, operation] of Object.entries<any>(byMethod)) {
      const parameters: Array<{ in: string; name: string; schema: Schema; required?: boolean }> = operation.parameters ?? [];
      const responses = Object.entries<any>(operation.responses ?? {});
      const label = `${method.toUpperCase()} ${path}`;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => ({ name: p.name, schema: p.schema, required: true })),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema, required: p.required === true })),
        body: operation.requestBody?.content?.['application/json']?.schema ?? null,
        guarded: Array.isArray(operation.security) && operation.security.length > 0,
        statuses: new Set(responses.map(([status]) => Number(status))),
        success: new Map(
          responses
            .filter(([status]) => Number(status) < 300)
            .map(([status, response]) => [Number(status), ajv.compile(response.content?.['application/json']?.schema ?? {})]),
        ),
        toString: () => label,
      });
    }
  }
  return operations;
}
