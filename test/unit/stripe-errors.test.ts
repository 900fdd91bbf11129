import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Stripe from 'stripe';
import { ProcessorError, type ProcessorErrorKind } from '../../src/processors/processor.js';
import { fromSdkError } from '../../src/processors/stripe/stripe-errors.js';
import { fromSdkPaymentIntent } from '../../src/processors/stripe/stripe-objects.js';
import { toProcessorPaymentIntent } from '../../src/processors/stripe-shapes.js';

/** A Stripe error body as it arrives, turned into the SDK's error class by the SDK itself. */
const sdkError = (raw: Record<string, unknown>) => Stripe.errors.StripeError.generate({ message: 'm', ...raw } as never);

describe('Stripe SDK errors map to our categories', () => {
  const cases: Array<[string, unknown, ProcessorErrorKind, boolean]> = [
    ['card error', sdkError({ type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', statusCode: 402 }), 'card_declined', false],
    ['no such resource', sdkError({ type: 'invalid_request_error', code: 'resource_missing', statusCode: 404 }), 'not_found', false],
    ['invalid request', sdkError({ type: 'invalid_request_error', param: 'amount', statusCode: 400 }), 'invalid_request', false],
    ['idempotency', sdkError({ type: 'idempotency_error', statusCode: 400 }), 'idempotency', false],
    ['bad key', sdkError({ type: 'invalid_request_error', statusCode: 401 }), 'authentication', false],
    ['restricted key without permission', sdkError({ type: 'invalid_request_error', statusCode: 403 }), 'authentication', false],
    ['429', sdkError({ type: 'invalid_request_error', code: 'rate_limit', statusCode: 429 }), 'rate_limited', true],
    ['rate limit sent as 400', sdkError({ type: 'invalid_request_error', code: 'rate_limit', statusCode: 400 }), 'rate_limited', true],
    ['500', sdkError({ type: 'api_error', statusCode: 500 }), 'unavailable', true],
    ['503 without a type', sdkError({ statusCode: 503 }), 'unavailable', true],
    ['connection lost', new Stripe.errors.StripeConnectionError({ message: 'An error occurred with our connection to Stripe.' }), 'unavailable', true],
  ];
  for (const [name, error, kind, unknownOutcome] of cases) {
    it(`${name} → ${kind}`, () => {
      const mapped = fromSdkError(error);
      assert.ok(mapped instanceof ProcessorError);
      assert.equal(mapped.kind, kind);
      assert.equal(mapped.outcomeUnknown, unknownOutcome);
      assert.equal(mapped.cause, error);
    });
  }

  it('keeps Stripe\'s codes, decline code and param', () => {
    const mapped = fromSdkError(sdkError({ type: 'card_error', code: 'expired_card', decline_code: 'expired_card', param: 'payment_method', statusCode: 402 })) as ProcessorError;
    assert.deepEqual([mapped.code, mapped.declineCode, mapped.param, mapped.message], ['expired_card', 'expired_card', 'payment_method', 'm']);
  });

  it('answers anything that is not a Stripe error unchanged (a bug of ours stays a bug)', () => {
    const bug = new TypeError('x is undefined');
    assert.equal(fromSdkError(bug), bug);
  });
});

describe('Stripe SDK objects', () => {
  const intent = (extra: Record<string, unknown>) =>
    ({
      id: 'pi_1', object: 'payment_intent', amount: 100, amount_capturable: 0, amount_received: 100, currency: 'usd',
      customer: { id: 'cus_1', object: 'customer' }, payment_method: 'pm_1', status: 'succeeded', capture_method: 'automatic_async',
      client_secret: 'pi_1_secret_2', description: null, metadata: {}, next_action: null, last_payment_error: null,
      latest_charge: 'ch_1', created: 1, canceled_at: null, cancellation_reason: null, ...extra,
    }) as unknown as Stripe.PaymentIntent;

  it('narrows expanded ids and open enums to the shapes the shared mapping reads', () => {
    const shaped = fromSdkPaymentIntent(intent({}));
    assert.deepEqual([shaped.customer, shaped.payment_method, shaped.capture_method, shaped.status], ['cus_1', 'pm_1', 'automatic_async', 'succeeded']);
  });

  it('reads an authorization\'s deadline from the expanded latest charge, never from the intent\'s age', () => {
    const charge = (card: Record<string, unknown> | null) => ({
      id: 'ch_1', object: 'charge', amount: 100, amount_captured: 0, captured: false, currency: 'usd', payment_intent: 'pi_1',
      status: 'succeeded', payment_method_details: { type: 'card', card }, created: 1,
    });
    const authorized = (latestCharge: unknown) =>
      toProcessorPaymentIntent(fromSdkPaymentIntent(intent({ status: 'requires_capture', capture_method: 'manual', latest_charge: latestCharge })));
    assert.equal(authorized(charge({ brand: 'visa', last4: '4242', capture_before: 1_900_000_000 })).captureBefore?.toISOString(), new Date(1_900_000_000_000).toISOString());
    assert.equal(authorized(charge({ brand: 'visa', last4: '4242' })).captureBefore, null, 'a charge that says nothing: no deadline guessed');
    assert.equal(authorized('ch_1').captureBefore, null, 'not expanded');
    const paid = toProcessorPaymentIntent(fromSdkPaymentIntent(intent({ latest_charge: charge({ brand: 'visa', last4: '4242', capture_before: 1_900_000_000 }) })));
    assert.equal(paid.captureBefore, null, 'only an authorization has a deadline');
  });

  it('refuses a status it does not know rather than guessing', () => {
    assert.throws(() => fromSdkPaymentIntent(intent({ status: 'requires_reticulation' })), /unknown payment status "requires_reticulation"/);
  });
});
