# syntax=docker/dockerfile:1
# The payment service's image: compiled in one stage, run from another that holds only the
# production dependencies and dist/, as a non-root user, with node itself as PID 1 (it handles
# SIGTERM: /ready turns 503, in-flight requests finish, then it exits; see the README's operator page).
# `npm run check:deploy` replays these steps as plain commands, so keep each RUN a plain shell line.
# Node.js 26, the current long-term-support line (the project is tested on 20, 22, 24 and 26).

FROM node:26-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY console ./console
RUN npm run build

FROM node:26-slim AS runtime
ENV NODE_ENV=production
ENV PORT=9000
WORKDIR /app
COPY package.json package-lock.json ./
# The npm cache is a build cache mount: it never lands in a layer of the image.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
# The operations console's static files (/payment/console), built in the build stage.
COPY --from=build /app/console/dist ./console/dist
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs
# The image's own user (uid 1000): nothing in /app is writable by it, nor needs to be.
USER node
EXPOSE 9000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 CMD ["node", "scripts/healthcheck.mjs"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/server.js"]
