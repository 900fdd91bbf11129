import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { AppError } from '../../errors.js';
import { CHALLENGE_PAGE_PATH, type SimulatedChallenges } from '../../processors/simulated/authentication-page.js';
import { errorResponses } from '../schemas/common.js';
import { challengePage, finishedPage } from '../simulated-3ds-page.js';

const Params = Type.Object({ paymentIntentId: Type.String({ minLength: 1, maxLength: 255 }) });
const Outcome = Type.Union([Type.Literal('complete'), Type.Literal('fail')], { description: 'complete: the customer passed; fail: they did not.' });
const Query = Type.Object({
  challenge: Type.Optional(Type.String({ maxLength: 64, description: 'The value the payment\'s next_action URL carries.' })),
});
const FinishQuery = Type.Object({ ...Query.properties, outcome: Type.Optional(Outcome) });
const FinishBody = Type.Object({ outcome: Type.Optional(Outcome) });
const Html = { description: 'An HTML page', content: { 'text/html': { schema: Type.String() } } };

function sendPage(reply: FastifyReply, html: string) {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    // Its URL carries the challenge value: never cached, never sent on to the return URL as a referrer.
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'")
    .send(html);
}

const notFound = () => new AppError('payment_intent_not_found', 'No payment awaits authentication at this address; use the next_action URL the payment answered');

/**
 * The simulated processor's 3-D Secure page, the stand-in for Stripe's hosted test page
 * (registered only when the simulated processor runs). Left out of the API document: it is
 * a page for the customer's browser in development, not part of the API clients build on.
 *
 * Access is `open`: the customer's browser arrives by redirect, without the service's bearer
 * token, as at Stripe's page. What lets it in is the challenge value in the URL, derived from the
 * payment's client secret, which only those the service answered that payment to have; and no
 * money moves in simulated mode.
 */
export const simulatedChallengeRoutes: FastifyPluginAsyncTypebox<{ challenges: SimulatedChallenges }> = async (app, { challenges }) => {
  // The page's form posts urlencoded; this parser exists for these routes only (the API speaks JSON).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get(
    `${CHALLENGE_PAGE_PATH}/:paymentIntentId`,
    {
      config: { access: 'open' },
      schema: {
        hide: true,
        operationId: 'showSimulatedAuthenticationPage',
        summary: 'The simulated 3-D Secure page (simulated processor only)',
        params: Params,
        querystring: Query,
        response: { 200: Html, ...errorResponses('payment_intent_not_found') },
      },
    },
    async (request, reply) => {
      const challenge = await challenges.find(request.params.paymentIntentId, request.query.challenge);
      if (!challenge) throw notFound();
      const action = `${CHALLENGE_PAGE_PATH}/${encodeURIComponent(challenge.paymentIntentId)}?challenge=${encodeURIComponent(request.query.challenge ?? '')}`;
      return sendPage(reply, challengePage(challenge, action));
    },
  );

  app.post(
    `${CHALLENGE_PAGE_PATH}/:paymentIntentId`,
    {
      config: { access: 'open' },
      schema: {
        hide: true,
        operationId: 'finishSimulatedAuthentication',
        summary: 'Complete or fail a simulated 3-D Secure challenge (simulated processor only)',
        description: 'outcome=complete or fail, in a form or JSON body or the query. Answers 303 to the return URL, or a page when there is none.',
        params: Params,
        querystring: FinishQuery,
        body: FinishBody,
        response: { 200: Html, 303: { description: 'Back to the payment\'s return URL' }, ...errorResponses('payment_intent_not_found') },
      },
      // A script may send the outcome in the query alone, with no body.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const outcome = request.body.outcome ?? request.query.outcome;
      if (!outcome) throw new AppError('validation_failed', 'outcome is required: complete or fail', { param: 'outcome' });
      const result = await challenges.finish(request.params.paymentIntentId, request.query.challenge, outcome === 'complete');
      if (!result) throw notFound();
      if (result.redirectTo) return reply.header('referrer-policy', 'no-referrer').redirect(result.redirectTo, 303);
      return sendPage(reply, finishedPage(result));
    },
  );
};
