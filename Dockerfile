# syntax=docker/dockerfile:1
# overmind: one image for the service (`serve`, the default command) and for the init containers
# that bootstrap CouchDB (`bootstrap STEP...`).
#   docker build -t overmind:0.1.0 .        (the tag is the package.json version)
#   docker build --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" --build-arg SOURCE=https://… -t overmind:0.1.0 .
#                                           (what the image's OCI labels say it was built from)
# test/deploy/image.test.ts replays these steps without Docker; keep to ARG, WORKDIR, COPY, RUN,
# ENV, LABEL, USER, EXPOSE, ENTRYPOINT and CMD, with paths under /app.

# Node 24 is the active LTS line; the tag pins the exact release and Debian base.
ARG NODE_IMAGE=node:24.18.0-bookworm-slim

# --- build: every dependency, TypeScript compiled into dist/ ---------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run tsc before the sources are copied; the build runs below.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build
# The SBOM of what the runtime stage installs: CycloneDX, production packages from the lockfile.
COPY scripts/sbom.mjs ./scripts/
RUN npm run sbom

# --- runtime: production dependencies and dist/ only ------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# An 8 MB young generation (V8's default grows to 16 MB x 3), and an old generation of at most 128
# MB: on a machine with gigabytes V8 otherwise lets garbage pile up to 120 MB of old space before it
# collects, and the resident set under the bench's heaviest load reached 208 MB (the dev overlay
# allows 192Mi); with the limit it peaks well under that while what is live stays under 40 MB
# (bench/NOTES.md, "Memory"). 8 MB rather than 4: a command's HTTP objects are garbage within a few
# milliseconds, and with 4 MB the scavenges came so often that PouchDB's writes in flight were
# promoted to the old generation, 14 % of the embedded store's command rate. What the service keeps
# is bounded (the embedded store's cache by count and bytes); test/deploy/memory-limit.test.ts runs
# the heaviest load under the limit.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=128" \
    OVERMIND_DATA_DIR=/app/data
WORKDIR /app
COPY package.json package-lock.json ./
# leveldown (PouchDB's embedded store) ships prebuilt binaries, so no compiler is needed and no
# install script has to run; the npm cache stays in the build cache, not in the image.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/dist ./dist
# At a fixed place, for scanners that look inside the image (README, "SBOM and provenance").
COPY --from=build /app/sbom.cdx.json ./
# The web map's page, scripts and styles, served as they are (no build step).
COPY web ./web
# The embedded store's directory (used when no CouchDB is configured) belongs to the runtime user.
RUN mkdir -p data && chown 1000:1000 data
# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# OCI annotations (https://github.com/opencontainers/image-spec/blob/main/annotations.md); version,
# licence and description are package.json's (a test compares them). Revision, build time and
# source come from --build-arg (above); without them: `unknown`, the epoch (as reproducible builds
# write it) and `unknown`. Declared this late so that a new revision rebuilds no layer above.
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="overmind" \
      org.opencontainers.image.description="Spawn zerglings and steer them over HTTP; CouchDB is the brain. A reference stateful microservice for Kubernetes." \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}"
EXPOSE 8080
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve"]
