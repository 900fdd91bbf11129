import type { FastifyInstance, FastifyRequest } from 'fastify';
import { containsCardNumber, isCardFieldName, isCardNumberValue } from '../../domain/card-data.js';
import { AppError } from '../../errors.js';

/** Deeper than any body this API takes (two levels) by far; deeper bodies are refused before anything walks them recursively. */
export const MAX_NESTING_DEPTH = 32;

type Finding = { kind: 'card'; path: string } | { kind: 'too_deep' } | null;

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/**
 * Walks a parsed request part without recursion (a hostile body may nest thousands of levels):
 * card data wins over everything, then too deep; the first NUL character found is reported apart.
 */
function screen(value: unknown, root: string, nul: { path: string | null }): Finding {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: root, depth: 0 }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value: current, path, depth } = item;
    if (typeof current === 'string') {
      if (containsCardNumber(current)) return { kind: 'card', path };
      if (nul.path === null && current.includes('\u0000')) nul.path = path;
      continue;
    }
    if (typeof current === 'number') {
      if (isCardNumberValue(current)) return { kind: 'card', path };
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    // A body kept as bytes (the processor's signed events) is not walked: its signature vouches for it.
    if (Buffer.isBuffer(current)) continue;
    if (depth >= MAX_NESTING_DEPTH) return { kind: 'too_deep' };
    for (const key of Object.keys(current)) {
      // The path names where the card data was, never the card number itself.
      if (containsCardNumber(key)) return { kind: 'card', path: join(path, '[card number]') };
      if (isCardFieldName(key)) return { kind: 'card', path: join(path, key) };
      if (nul.path === null && key.includes('\u0000')) nul.path = path || key;
      stack.push({ value: (current as Record<string, unknown>)[key], path: join(path, key), depth: depth + 1 });
    }
  }
  return null;
}

/** The parts of a request a client fills in, as they are named in an error's `param`. */
function partsOf(request: FastifyRequest): Array<[unknown, string]> {
  const key = request.headers['idempotency-key'];
  return [
    [request.params, ''],
    [request.query, ''],
    [request.body, ''],
    ...(key === undefined ? [] : [[key, 'Idempotency-Key'] as [unknown, string]]),
  ];
}

/**
 * Refuses, before validation, authorization of the owner, idempotency and any handler (so that
 * nothing of it is stored, and it is never logged): card numbers and security codes anywhere in
 * the path, the query, the body or the Idempotency-Key; bodies nested deeper than
 * MAX_NESTING_DEPTH; NUL characters, which PostgreSQL cannot store in text.
 */
export function installRequestScreening(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const nul = { path: null as string | null };
    for (const [value, root] of partsOf(request)) {
      const finding = screen(value, root, nul);
      if (finding?.kind === 'card') {
        throw new AppError(
          'card_data_not_allowed',
          `${finding.path || 'The request'} holds card data (a card number or security code), which this service never accepts: ` +
            'collect the card with Stripe.js (Elements or stripe.createPaymentMethod) and send the pm_... id it answers as paymentMethodId',
          finding.path ? { param: finding.path } : undefined,
        );
      }
      if (finding?.kind === 'too_deep') {
        throw new AppError('validation_failed', `The request nests objects or arrays more than ${MAX_NESTING_DEPTH} levels deep`);
      }
    }
    if (nul.path !== null) {
      throw new AppError(
        'validation_failed',
        `${nul.path || 'the request'} contains a NUL character (\\u0000), which is not allowed`,
        nul.path ? { param: nul.path } : undefined,
      );
    }
  });
}
