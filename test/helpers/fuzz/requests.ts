import fc from 'fast-check';
import { hostileStrings, hostileValues, JsonObject, toJsonText, validObject, validValue, type Json } from './json-values.js';
import type { Operation, Parameter } from './operations.js';

/** Who sends a case: the fixtures' administrator or customer, nobody, or a forged token. */
export type Caller = 'admin' | 'customer' | 'none' | 'forged';

/** One request of the fuzz suite; printed short when it fails (bodies may be a megabyte). */
export interface FuzzCase {
  operation: Operation;
  method: string;
  url: string;
  caller: Caller;
  headers: Record<string, string>;
  body: string | undefined;
}

/** Real values of the fixtures, by field name, so that some cases reach the handlers and the database. */
export type Known = Record<string, string[]>;

/** Percent-encoding that also writes a lone surrogate (as the invalid UTF-8 a careless client sends). */
function encode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text].map((char) => (/[\uD800-\uDFFF]/.test(char) ? '%ED%A0%80' : encodeURIComponent(char))).join('');
  }
}

const brokenEncodings = fc.constantFrom('%', '%zz', '%E0%A4%A', '%C0%AF', '%ED%A0%80', 'a%', '%%41', '%FF%FE');

function pathValue(param: Parameter, known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: validValue(param.name, param.schema, known).map((v) => encode(String(v))) },
    { weight: 3, arbitrary: hostileStrings.map(encode) },
    { weight: 1, arbitrary: brokenEncodings },
    { weight: 1, arbitrary: fc.integer({ min: 200, max: 5000 }).map((n) => 'p'.repeat(n)) },
  );
}

function queryPart(param: Parameter, known: Known): fc.Arbitrary<string | null> {
  const name = encode(param.name);
  const value = fc.oneof(
    { weight: 4, arbitrary: validValue(param.name, param.schema, known).map((v) => encode(String(v))) },
    { weight: 3, arbitrary: hostileStrings.map(encode) },
    { weight: 1, arbitrary: brokenEncodings },
  );
  return fc.oneof(
    { weight: param.required ? 1 : 3, arbitrary: fc.constant(null) },
    { weight: 4, arbitrary: value.map((v) => `${name}=${v}`) },
    { weight: 1, arbitrary: fc.tuple(value, value).map(([a, b]) => `${name}=${a}&${name}=${b}`) },
  );
}

const extraQuery = fc.constantFrom(
  '', '', '', '__proto__=1', '__proto__[admin]=1', 'constructor[prototype][polluted]=1', 'a[b][c]=1', '&&=&', 'x=%zz', 'limit[]=5',
  '$where=1', 'customerId[$ne]=x', 'cvc=123', `q=${'z'.repeat(100_000)}`,
);

function query(operation: Operation, known: Known): fc.Arbitrary<string> {
  return fc
    .tuple(fc.tuple(...operation.query.map((p) => queryPart(p, known))), extraQuery)
    .map(([parts, extra]) => [...parts.filter((p): p is string => p !== null), extra].filter((p) => p !== '').join('&'));
}

/** A JSON body: valid, one field hostile, one missing, hostile keys added, or the wrong shape altogether. */
function jsonBody(operation: Operation, known: Known): fc.Arbitrary<Json> {
  const valid = operation.body ? validObject(operation.body, known) : fc.constant(new JsonObject([]));
  const required: string[] = operation.body?.required ?? [];
  return fc.oneof(
    { weight: 4, arbitrary: valid },
    {
      weight: 4,
      arbitrary: fc.tuple(valid, fc.nat(), hostileValues).map(([body, at, value]) => {
        const names = [...body.entries.map(([name]) => name), ...Object.keys(operation.body?.properties ?? {})];
        const name = names[at % Math.max(names.length, 1)] ?? 'field';
        return new JsonObject([...body.entries.filter(([key]) => key !== name), [name, value]]);
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(valid, fc.nat()).map(([body, at]) => new JsonObject(body.entries.filter(([key]) => key !== required[at % Math.max(required.length, 1)]))),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', '$gt', 'cardNumber', 'extra', ''), hostileValues)
        .map(([body, key, value]) => new JsonObject([...body.entries, [key, value]])),
    },
    { weight: 2, arbitrary: hostileValues },
  );
}

/** A body as text: JSON from the shapes above, or text that is not JSON at all. */
function bodyText(operation: Operation, known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 8, arbitrary: jsonBody(operation, known).map(toJsonText) },
    { weight: 1, arbitrary: fc.tuple(jsonBody(operation, known), fc.nat()).map(([body, cut]) => toJsonText(body).slice(0, cut % Math.max(toJsonText(body).length, 1))) },
    { weight: 1, arbitrary: fc.constantFrom('{"amount":NaN}', '{"amount":Infinity}', "{'a':1}", '{"a":1,}', '// c\n{}', '\uFEFF{}', 'nul', '', '{"a":"\\uZZZZ"}', '[') },
    { weight: 1, arbitrary: fc.constant(`{"name":"${'n'.repeat(1024 * 1024)}"}`) },
  );
}

const contentTypes = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=utf-16', 'application/json;x') },
  { weight: 2, arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/vnd.api+json', '') },
);

const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

/** Any request to the operation: path, query, headers and body drawn from valid values and hostile ones. */
export function fuzzCase(operation: Operation, known: Known): fc.Arbitrary<FuzzCase> {
  const writes = operation.method === 'POST' || operation.method === 'DELETE';
  const takesBody = operation.method !== 'GET';
  return fc
    .record({
      path: fc.tuple(...operation.pathParams.map((p) => pathValue(p, known))),
      query: query(operation, known),
      caller: fc.constantFrom<Caller>('admin', 'admin', 'admin', 'customer', 'customer', 'none', 'forged'),
      body: takesBody ? fc.option(bodyText(operation, known), { freq: operation.body ? 8 : 2 }) : fc.option(bodyText(operation, known), { freq: 10 }),
      contentType: contentTypes,
      idempotencyKey: writes ? fc.option(fc.oneof(headerValue, fc.constant('fuzz-shared-key'), fc.constant('k'.repeat(300))), { freq: 2 }) : fc.constant(null),
      requestId: fc.option(headerValue, { freq: 4 }),
    })
    .map(({ path, query: search, caller, body, contentType, idempotencyKey, requestId }) => {
      let at = 0;
      const url = operation.path.replace(/\{[^}]+\}/g, () => path[at++] ?? '') + (search ? `?${search}` : '');
      const headers: Record<string, string> = {};
      if (body !== null && contentType !== '') headers['content-type'] = contentType;
      if (idempotencyKey !== null) headers['idempotency-key'] = idempotencyKey;
      if (requestId !== null) headers['x-request-id'] = requestId;
      const built: FuzzCase = { operation, method: operation.method, url, caller, headers, body: body ?? undefined };
      return Object.assign(built, { [fc.toStringMethod]: () => describeCase(built) });
    });
}

/** How a failing case is shown: every part, long ones cut. */
export function describeCase(c: FuzzCase): string {
  const cut = (text: string) => (text.length > 300 ? `${text.slice(0, 300)}... (${text.length} characters)` : text);
  return `${c.method} ${cut(c.url)} as ${c.caller} ${JSON.stringify(c.headers)} body: ${c.body === undefined ? 'none' : cut(c.body)}`;
}
