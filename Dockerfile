# One image for every Capstan process: the API, the orchestrator worker and the node-class workers.
# The process is chosen by the command (see docker-compose.yml); the default runs the API.
#   docker build -t capstan .

# ---- the Pulumi CLI, the release paired with @pulumi/pulumi in package.json (toolchain/pulumi-binary.ts) ----
FROM pulumi/pulumi-base:3.248.0 AS pulumi-cli

# ---- build: full dependencies (TypeScript) and compile to dist/ ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Lock files first, so the dependency layer is cached until they change.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
# Only the code the entry points import (test/compose.test.ts checks this list); tests stay out.
# cli/ gives the container the capstan command line (e.g. `capstan token create`); toolchain/ the Pulumi CLI lookup that Pulumi workers run at start.
COPY workflows ./workflows
COPY activities ./activities
COPY workers ./workers
COPY api ./api
COPY config ./config
COPY db ./db
COPY infra ./infra
COPY cli ./cli
COPY toolchain ./toolchain
COPY cost-model ./cost-model
RUN npx tsc -p tsconfig.json
# The console: prepare generates its API types from the compiled OpenAPI document and builds web/ into dist/web,
# which the runtime stage gets with the rest of dist/ (tsc above has already compiled, so only the console is built).
COPY scripts ./scripts
COPY web ./web
RUN node scripts/prepare.mjs

# ---- runtime: production dependencies, compiled code and the node-class file ----
FROM node:20-bookworm-slim AS runtime
# Shell tasks run scripts with /bin/bash (activities/shell); ca-certificates lets task commands use TLS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends bash ca-certificates \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# @temporalio/worker ships its native core and webpack (it bundles the workflows at start), both production deps.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# The code finds the clone root as dist/.. (config/paths.ts), so dist/ and config/ sit side by side in /app.
COPY --from=build /app/dist ./dist
COPY config/node-classes.yaml config/resource-prices.yaml config/budgets.yaml ./config/
# Migrations are applied at start by the API and every node worker, read from db/migrations.
COPY db/migrations ./db/migrations
# Writable data directory (task workspaces, output store) for the unprivileged user; a volume
# mounted on outputs/ takes this owner when it is first created.
# On PATH, where the Pulumi workers' bootstrap finds it (it checks the version).
COPY --from=pulumi-cli /pulumi/bin/pulumi /usr/local/bin/pulumi
RUN mkdir -p /var/lib/capstan/outputs /var/lib/capstan/pulumi-state /var/lib/capstan/artifacts && chown -R node:node /var/lib/capstan
# Listen on every interface: the default 127.0.0.1 is unreachable from outside the container.
ENV CAPSTAN_DATA_DIR=/var/lib/capstan \
    CAPSTAN_API_HOST=0.0.0.0
# Tasks run arbitrary shell commands: never as root. `node` (uid 1000) comes with the base image.
USER node
EXPOSE 8080
CMD ["node", "dist/api/server.js"]
