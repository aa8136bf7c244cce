# syntax=docker/dockerfile:1
#
# The storefront API in two stages:
#   build    installs every dependency (npm ci also generates the Prisma
#            client into src/generated/prisma), then compiles to dist/
#   runtime  production dependencies only, the compiled code, the migrations
#            and schema.graphql; runs as `node`
#
#   docker build -t storefront-api .
#   docker run -p 4000:4000 -e DATABASE_URL=... -e REDIS_URL=... -e JWT_SECRET=... storefront-api
#
# At start the container applies pending migrations, then serves on :4000.
# Demo data: docker exec <container> node dist/scripts/seed.js

# ---------------------------------------------------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app

# `npm ci` runs the `postinstall` script (`npm run prisma:generate`), which
# needs the Prisma schema and config and the schema-engine stub: copy them
# first, so this layer is cached until the dependencies or the schema change.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/schema-engine-stub.sh ./scripts/
COPY packages ./packages
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json schema.graphql ./
COPY src ./src
COPY scripts ./scripts
# tsc -p tsconfig.build.json: src/ -> dist/src/ (the generated Prisma client
# included, as dist/src/generated/prisma), scripts/ -> dist/scripts/.
RUN npm run build

# ---------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000
WORKDIR /app

# Production dependencies only. --ignore-scripts: no postinstall (the client
# is already generated and compiled) and no engine download (the API talks to
# PostgreSQL through the `pg` driver adapter; migrations use the WebAssembly
# schema engine from @prisma/schema-engine-wasm).
# The workspace package (the write-through core) is linked by npm ci: its
# package.json and compiled dist/ come first.
COPY package.json package-lock.json ./
COPY packages/prisma-write-through/package.json ./packages/prisma-write-through/
COPY --from=build /app/packages/prisma-write-through/dist ./packages/prisma-write-through/dist
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && npm cache clean --force

# The compiled code, the generated Prisma client included (compiled from
# src/generated/prisma to dist/src/generated/prisma). package.json above tells
# Node that dist/ is ES modules ("type": "module").
COPY --from=build /app/dist ./dist
# scripts/migrations.ts finds the project root as the nearest folder above
# dist/scripts/ holding prisma/schema.prisma, i.e. /app: migrations are read
# from /app/prisma/migrations.
COPY prisma ./prisma
# src/graphql/schema.ts reads ../../schema.graphql or ../../../schema.graphql
# from dist/src/graphql/, i.e. /app/schema.graphql.
COPY schema.graphql ./

USER node
EXPOSE 4000

# Liveness only (no dependency check): /readyz also checks PostgreSQL and Redis.
# Node's fetch, as bookworm-slim has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Apply pending migrations (a no-op when up to date), then replace the shell
# with the server so that it receives SIGTERM and shuts down gracefully.
CMD ["sh", "-c", "node dist/scripts/migrate.js deploy && exec node dist/src/main.js"]
