# syntax=docker/dockerfile:1
# Multi-stage: compile with dev dependencies, run with production dependencies only, as a non-root user.

FROM node:20-bookworm-slim AS build
# onnxruntime-node ships its CPU binaries in the npm package; its install script would only fetch
# GPU libraries from another host (npm 11 does not run it; the image's npm 10 would).
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
COPY sdk ./sdk
COPY scripts ./scripts
RUN npm run build

FROM node:20-bookworm-slim AS runtime
# MALLOC_ARENA_MAX: glibc gives each thread that allocates (the model's workers, libuv's pool, V8's
# helpers) an arena of its own and keeps what they free; two arenas keep the server ~30-50 MB smaller
# (docs/operations.md). The benchmark servers run with the same value, read from here.
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    MALLOC_ARENA_MAX=2 \
    ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY public ./public
# The embedded database and the mail outbox live under .data when no DATABASE_URL / SMTP_URL is set.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
