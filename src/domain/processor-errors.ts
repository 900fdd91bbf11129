import { AppError, type ErrorCode } from '../errors.js';
import { ProcessorError } from '../processors/processor.js';
import { PAYMENT_METHOD_UNUSABLE } from '../processors/stripe-shapes.js';

/** The part of a logger the domain uses; pino satisfies it. */
export interface Logger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/**
 * Turns a processor failure into the error the client gets. `notFound` names what was missing in
 * this call (a customer, a card, a payment). Unknown outcomes and bad credentials are logged here.
 */
export function toAppError(error: unknown, notFound: ErrorCode, logger: Logger): unknown {
  if (!(error instanceof ProcessorError)) return error;
  switch (error.kind) {
    case 'card_declined':
      return new AppError('card_declined', error.message, {
        decline_code: error.declineCode ?? error.code ?? 'generic_decline',
      });
    case 'not_found':
      return new AppError(notFound, error.message);
    case 'invalid_request':
      if (error.code === PAYMENT_METHOD_UNUSABLE) {
        return new AppError(
          'payment_method_unusable',
          'This card was removed (detached at the processor) and can never be used again: collect the card anew, which gives it a new pm_ id',
          { param: 'paymentMethodId' },
        );
      }
      return new AppError('processor_invalid_request', error.message, error.param ? { param: error.param } : undefined);
    case 'idempotency':
      return new AppError('idempotency_error', error.message);
    case 'authentication':
      logger.error({ err: error }, 'the payment processor rejected our credentials: check STRIPE_SECRET_KEY');
      return new AppError('processor_misconfigured', 'The payment processor is not configured correctly; the operators have been alerted');
    case 'rate_limited':
    case 'unavailable':
      logger.warn({ err: error }, 'the payment processor could not be reached');
      return new AppError(
        'processor_unavailable',
        'The payment processor could not be reached; nothing is lost and the service settles the outcome',
      );
  }
}
