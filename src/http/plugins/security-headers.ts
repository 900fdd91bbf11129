import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** Headers a browser page of another origin may send, and those it may read back. */
const CORS_REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'];
const CORS_EXPOSED_HEADERS = ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'];

/**
 * Helmet's headers on every answer (HSTS, nosniff, frame denial, a strict CSP that Swagger UI's
 * own files satisfy), and CORS for the listed origins only: without CORS_ORIGINS no browser page
 * of another origin may read an answer.
 */
export async function installSecurityHeaders(app: FastifyInstance, corsOrigins: string[]): Promise<void> {
  await app.register(helmet, {
    global: true,
    // Plain HTTP is served only behind a TLS proxy, or on a developer's machine where upgrading would break the docs page.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  if (corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: corsOrigins,
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: CORS_REQUEST_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    // Bearer tokens travel in a header, never in cookies.
    credentials: false,
    maxAge: 600,
    // A stray OPTIONS is answered 204 rather than with a text/plain 400.
    strictPreflight: false,
  });
}
