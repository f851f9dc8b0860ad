# syntax=docker/dockerfile:1
# partner-security-exporter: build with the dev dependencies, run with production ones only.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:24-bookworm-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="partner-security-exporter" \
      org.opencontainers.image.description="Prometheus exporter for the Microsoft Graph (beta) partner security score" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT"
ENV NODE_ENV=production
# No fixed heap cap: Node (20 and 24 alike) hands V8 the container's memory limit from the cgroup
# (memory.max), and V8 sizes its old space at half of it (up to 2 GiB), so a larger limit is a
# larger heap with nothing to change here. A small young generation makes V8 collect after a large
# refresh instead of keeping the garbage (README "Sizing", docs/performance.md).
ENV NODE_OPTIONS="--max-semi-space-size=1"
# The refresh runs in a worker thread, and glibc gives each thread its own malloc arena: buffers made
# there and freed on the serving thread leave the arena's pages resident. Two arenas keep the
# process's peak RSS ~10 MiB lower at 10,000 tenants (docs/performance.md).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN echo "${REVISION}" > REVISION
# Nothing is written at run time outside a tmp dir (the demo's simulator certificate goes to $TMPDIR),
# so the root file system can be read-only with an emptyDir on /tmp.
ENV TMPDIR=/tmp
USER 65532:65532
EXPOSE 9717
ENTRYPOINT ["node", "/app/dist/cli.js"]
