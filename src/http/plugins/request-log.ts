import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { loggableUrl } from '../logging.js';

/**
 * One line per request, written when it is answered: `POST /payment/customer 201 12 ms`, with the
 * request id, status and time as fields for JSON readers. Fastify's own pair of lines ("incoming
 * request", "request completed") says the same twice, which a person at a terminal does not need;
 * production keeps the pair, whose first line shows a request that never finishes.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const url = loggableUrl(request.url);
    const fields = { req: { method: request.method, url }, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime };
    const line = `${request.method} ${url} ${reply.statusCode} ${reply.elapsedTime.toFixed(0)} ms`;
    if (error) reply.log.error({ ...fields, err: error }, line);
    else reply.log.info(fields, line);
  }

  override routeNotFound(): void {
    // The request line that follows says 404 already.
  }
}
