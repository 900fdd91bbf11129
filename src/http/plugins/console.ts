import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, RouteShorthandOptions } from 'fastify';
import { AppError } from '../../errors.js';

/** Where the operations console is served; its files are open, every call it makes needs an admin token. */
export const CONSOLE_PREFIX = '/payment/console';

/** console/dist, built by `npm start` (scripts/build.mjs): the same distance from src/http/plugins as from dist/http/plugins. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

/**
 * The console's page may run its own scripts and styles and talk to this origin, nothing else:
 * no inline script, no other origin, no framing, no form posted anywhere.
 */
const CONSOLE_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    manifestSrc: ["'self'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * Serves the built console under /payment/console through @fastify/static, with a content security
 * policy of its own in place of the API's. Without a build (tests that never built it, an install
 * without development dependencies) the page answers 404 saying how to build it.
 */
export async function installConsole(app: FastifyInstance, root = CONSOLE_DIST): Promise<void> {
  const built = existsSync(`${root}index.html`);
  const options: RouteShorthandOptions = {
    schema: { hide: true },
    config: { access: 'open' },
    helmet: { contentSecurityPolicy: CONSOLE_CSP },
  } as RouteShorthandOptions;
  if (!built) {
    const missing = async () => {
      throw new AppError('not_found', 'The operations console is not built: `npm start` (or `npm run build`) builds it from console/');
    };
    app.get(CONSOLE_PREFIX, options, missing);
    app.get(`${CONSOLE_PREFIX}/*`, options, missing);
    return;
  }
  await app.register(fastifyStatic, { root, serve: false, decorateReply: true, cacheControl: false });
  app.get(CONSOLE_PREFIX, options, async (_request, reply) => reply.redirect(`${CONSOLE_PREFIX}/`, 302));
  app.get(`${CONSOLE_PREFIX}/*`, options, async (request, reply) => {
    const file = (request.params as { '*': string })['*'];
    // Hashed assets never change under their name; the page itself is asked for again each time.
    // Only names Vite writes: no path of another folder ever reaches the file system.
    if (/^assets\/[\w-]+\.(js|css|svg|png|woff2)$/.test(file)) return reply.header('cache-control', 'public, max-age=31536000, immutable').sendFile(file);
    if (file === '' || file === 'index.html') return reply.header('cache-control', 'no-cache').sendFile('index.html');
    throw new AppError('not_found', `No console file ${file}`);
  });
}
