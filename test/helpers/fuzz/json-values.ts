import fc from 'fast-check';
import type { Schema } from './operations.js';

/** Text written into the JSON as it is (`-0`, `1e999`, a nesting thousands deep). */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object whose entries keep their order, so `__proto__` and `constructor` are plain keys. */
export class JsonObject {
  constructor(readonly entries: Array<[string, Json]>) {}
}

/** What a request body is built from; plain objects come from fast-check's own JSON values. */
export type Json = null | boolean | number | string | Json[] | JsonObject | RawJson | { [key: string]: Json };

export function toJsonText(value: Json): string {
  if (value === null || typeof value !== 'object') return typeof value === 'number' && !Number.isFinite(value) ? 'null' : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value instanceof RawJson) return value.text;
  const entries = value instanceof JsonObject ? value.entries : Object.entries(value);
  return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${toJsonText(inner)}`).join(',')}}`;
}

/** Strings that have broken services: injections, encodings, control characters, lone surrogates, sizes. */
export const hostileStrings: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '', ' ', '\u0000', 'a\u0000b', '\uD800', '\uDFFF', 'x\uD83D', '😀', '\u202Egnp.exe', 'Ω≈ç√∫', '\r\nX-Injected: 1', '\t',
    "' OR '1'='1", "'; DROP TABLE payments; --", '1; SELECT pg_sleep(5)', '" OR ""="', '$where', '{"$gt": ""}', '$ne',
    '__proto__', 'constructor', 'prototype', '../../etc/passwd', '%00', '%', '%zz', '<script>alert(1)</script>', '${7*7}', '{{7*7}}',
    'null', 'true', 'NaN', 'Infinity', '-0', '1e309', '2500', '65.22', '0x10', '4242424242424242', '4242 4242 4242 4242',
    'pi_', 'cus_', 'pm_', 'cus_\u0000', 'pm_card_visa\n', 'admin@example.com', 'A'.repeat(256), 'é'.repeat(300),
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer({ min: 1000, max: 70_000 }).map((n) => 'x'.repeat(n)),
);

/** Numbers JSON can carry and code mishandles: negative zero, fractions, beyond 2^53, huge, tiny. */
export const hostileNumbers: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(0, -1, 1, 1.5, 65.22, 99_999_999, 100_000_000, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, 1e308, -1e308, 5e-324),
  fc.constantFrom('-0', '1e999', '-1e999', '1E400', '0.1e-400').map((text): Json => new RawJson(text)),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Objects built to hurt: prototype pollution keys, NoSQL operators, card fields. */
const hostileObjects: fc.Arbitrary<Json> = fc.constantFrom<Json>(
  new JsonObject([['__proto__', new JsonObject([['admin', true]])]]),
  new JsonObject([['constructor', new JsonObject([['prototype', new JsonObject([['polluted', true]])]])]]),
  new JsonObject([['$gt', '']]),
  new JsonObject([['$where', 'sleep(1000)']]),
  new JsonObject([['cvc', '123']]),
  new JsonObject([]),
);

/** A value nested `depth` levels, beyond what anything should walk recursively. */
export const deeplyNested: fc.Arbitrary<Json> = fc
  .tuple(fc.integer({ min: 20, max: 5000 }), fc.boolean())
  .map(([depth, arrays]): Json => new RawJson(arrays ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`));

/** Any hostile JSON value: a wrong type for whatever field it lands in. */
export const hostileValues: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: hostileStrings },
  { weight: 2, arbitrary: hostileNumbers },
  { weight: 1, arbitrary: fc.constantFrom<Json>(null, true, false, [], [1, 2], ['a']) },
  { weight: 1, arbitrary: hostileObjects },
  { weight: 1, arbitrary: deeplyNested },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
);

/** A value of the schema's type, taken from `known` for a field the fixtures have real values for. */
export function validValue(name: string, schema: Schema, known: Record<string, string[]>): fc.Arbitrary<Json> {
  if (known[name]?.length) return fc.constantFrom(...known[name]);
  const options: unknown[] = [schema.enum, ...(schema.anyOf ?? []).map((s: Schema) => s.enum)].flat().filter((v) => v !== undefined);
  if (options.length > 0) return fc.constantFrom(...(options as Json[]));
  switch (schema.type) {
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 100_000, 100_000) });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'object':
      return validObject(schema, known);
    case 'array':
      return fc.array(validValue(name, schema.items ?? {}, known), { maxLength: 3 });
    default:
      return schema.example !== undefined ? fc.constant(schema.example as Json) : fc.string({ minLength: schema.minLength ?? 0, maxLength: 12 });
  }
}

/** An object with every required property and some optional ones, each of its schema's type. */
export function validObject(schema: Schema, known: Record<string, string[]>): fc.Arbitrary<JsonObject> {
  const properties = Object.entries<Schema>(schema.properties ?? {});
  const required = new Set<string>(schema.required ?? []);
  return fc
    .tuple(...properties.map(([name, property]) => fc.tuple(fc.constant(name), validValue(name, property, known), fc.boolean())))
    .map((values) => new JsonObject(values.filter(([name, , keep]) => keep || required.has(name)).map(([name, value]) => [name, value] as [string, Json])));
}
