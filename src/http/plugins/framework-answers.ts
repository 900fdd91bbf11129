import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { errorBody } from './error-handler.js';

/**
 * Longest path parameter routed (an email is at most 254 characters, an id 255; percent-encoding
 * may triple them). Longer ones are 414 `uri_too_long` before any route sees them.
 */
export const MAX_PARAM_LENGTH = 1024;

/** What the router refuses before a route is chosen, as the error the client gets. */
function routerError(error: FastifyError): AppError {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return new AppError('uri_too_long', `A path parameter is longer than ${MAX_PARAM_LENGTH} characters`);
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return new AppError('validation_failed', 'The path is not valid percent-encoding (a % must be followed by two hex digits of UTF-8)');
  }
  return new AppError('validation_failed', 'The request cannot be routed');
}

/**
 * Fastify's `frameworkErrors`: a malformed percent-encoding or an overlong path parameter is
 * answered by the router itself, before hooks run; it gets the envelope and the request id too.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const appError = routerError(error);
  request.log.info({ code: appError.code, fastifyCode: error.code }, 'request refused by the router');
  void reply.status(appError.statusCode).header('x-request-id', request.id).send(errorBody(appError));
}

/** What Node's HTTP parser refuses (bad request line, headers too large, a client too slow), before Fastify has a request. */
function clientError(code: string | undefined): AppError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError('request_timeout', 'The request was not received in time');
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('headers_too_large', 'The request line and headers are larger than this service accepts (16 KB)');
    default:
      return new AppError('validation_failed', 'The request is not valid HTTP');
  }
}

/**
 * Fastify's `clientErrorHandler`: writes the envelope straight to the socket (there is no request
 * to reply through) with a fresh request id, then closes the connection as Node does.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError = clientError(error.code);
  const requestId = randomUUID();
  this.log.info({ reqId: requestId, code: appError.code, parserCode: error.code }, 'connection refused by the HTTP parser');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(appError));
    socket.write(
      `HTTP/1.1 ${appError.statusCode} ${STATUS_CODES[appError.statusCode]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
