# syntax=docker/dockerfile:1
# One image for every freshchain process, running compiled JavaScript; the command picks the entry:
#   dist/workflows/worker-main.js | dist/api/main.js | dist/iot-ingest/main.js | dist/db/migrate-main.js
# e.g. `docker run IMAGE dist/api/main.js` (one node process, so SIGTERM reaches the app's
# shutdown handler). The worker runs the workflow bundle pre-built by `npm run build`
# (dist/workflow-bundle.js, WORKFLOW_BUNDLE); nothing is compiled or bundled at start.
#
# Build:  docker build -t freshchain/app:$(git rev-parse --short HEAD) .
# The base is pinned to an exact Node 20 patch release on Debian 12 (glibc: the prebuilt native
# modules of @temporalio/core-bridge, @swc/core and esbuild are glibc builds).
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- production dependencies (no dev tooling) -------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- build: tsc into dist/, the files read at run time, the pre-built workflow bundle -----------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
# The source folders the entry points load (a test keeps this list complete).
COPY config ./config
COPY platform ./platform
COPY domain ./domain
COPY db ./db
COPY activities ./activities
COPY workflows ./workflows
COPY iot-ingest ./iot-ingest
COPY coldchain ./coldchain
COPY forecasting ./forecasting
COPY api ./api
RUN npm run build

# --- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
ENV WORKFLOW_BUNDLE=/app/dist/workflow-bundle.js
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The image's own `node` user (uid 1000), numeric so Kubernetes' runAsNonRoot can verify it.
# Files stay root-owned and read-only to it.
USER 1000:1000
# 3000: API (PORT); 9464: ingester /metrics (INGEST_METRICS_PORT); 9465: worker runtime metrics.
EXPOSE 3000 9464 9465
ENTRYPOINT ["node"]
CMD ["dist/api/main.js"]
