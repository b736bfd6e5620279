# syntax=docker/dockerfile:1
# One image for every freshchain process; the command picks the entry point:
#   workflows/worker-main.ts | api/main.ts | iot-ingest/main.ts | db/migrate-main.ts
# e.g. `docker run IMAGE api/main.ts`. TypeScript runs through tsx, exactly as `npm run …` does
# (node --import tsx FILE.ts: one process, so SIGTERM reaches the app's shutdown handler).
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

# --- the full tree, only to take tsx (a devDependency) and its esbuild from it -----------------
FROM ${NODE_IMAGE} AS tooling
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# --- runtime -----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=prod-deps /app/node_modules ./node_modules
# tsx's whole dependency closure per package-lock.json: tsx → esbuild → @esbuild/<platform>.
COPY --from=tooling /app/node_modules/tsx ./node_modules/tsx
COPY --from=tooling /app/node_modules/esbuild ./node_modules/esbuild
COPY --from=tooling /app/node_modules/@esbuild ./node_modules/@esbuild
COPY package.json tsconfig.json ./
# Only what the four entry points load (db/migrations and api/public are read at run time).
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
# The image's own `node` user (uid 1000), numeric so Kubernetes' runAsNonRoot can verify it.
# Files stay root-owned and read-only to it; tsx's transform cache goes to /tmp.
USER 1000:1000
# 3000: API (PORT); 9464: ingester /metrics (INGEST_METRICS_PORT); 9465: worker runtime metrics.
EXPOSE 3000 9464 9465
ENTRYPOINT ["node", "--import", "tsx"]
CMD ["api/main.ts"]
