import { ProcessorError, type PaymentProcessor } from './processor.js';

/** Told of every processor call: its operation, how it ended (ok or the error kind) and how long it took. */
export type ProcessorCallObserver = (processor: string, operation: string, outcome: string, seconds: number) => void;

/** The calls of the PaymentProcessor interface; anything else a processor has passes through as it is. */
const OPERATIONS = new Set<string>([
  'findCustomersByEmail', 'createCustomer', 'setDefaultPaymentMethod', 'attachPaymentMethod', 'retrievePaymentMethod',
  'detachPaymentMethod', 'listPaymentMethods', 'createPaymentIntent', 'retrievePaymentIntent', 'capturePaymentIntent',
  'cancelPaymentIntent', 'createRefund', 'retrieveRefund', 'findPaymentIntentByMetadata', 'findRefundByMetadata',
] satisfies Array<keyof PaymentProcessor>);

/**
 * The processor, with every call timed and its outcome reported: one decorator for every
 * processor, so neither the simulated nor the Stripe one knows of metrics. A decline counts as
 * `card_declined`, any error that is not a ProcessorError as `internal`; errors pass through untouched.
 * A Proxy, so `instanceof` and the processor's own extras (the simulated 3-D Secure pages) still work.
 */
export function instrumentProcessor(inner: PaymentProcessor, observe: ProcessorCallObserver): PaymentProcessor {
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string' || !OPERATIONS.has(property)) return value;
      return async (...args: unknown[]) => {
        const started = process.hrtime.bigint();
        const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
        try {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          observe(target.name, property, 'ok', seconds());
          return result;
        } catch (error) {
          observe(target.name, property, error instanceof ProcessorError ? error.kind : 'internal', seconds());
          throw error;
        }
      };
    },
  });
}
