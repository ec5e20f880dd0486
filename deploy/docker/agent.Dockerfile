# syntax=docker/dockerfile:1
# certctl agent image (pull only: it never listens). Build from the repository root (a clone):
#   docker build -f deploy/docker/agent.Dockerfile -t certctl/agent .
# Target connectors are chosen with CERTCTL_CONNECTORS (workspace package names, space separated).
# The stages run the same scripts as the test that checks the image's contents
# (tooling/deploy/images.test.ts): pack-tarballs.mjs, then build-rootfs.sh.
ARG NODE_VERSION=20.20.2

# 1. pack: build the workspace and pack the tarballs an operator would install.
FROM node:${NODE_VERSION}-bookworm AS pack
ARG CERTCTL_CONNECTORS="@certctl/target-nginx @certctl/target-haproxy @certctl/target-traefik"
WORKDIR /src
COPY . .
RUN npm install --global --no-audit --no-fund pnpm@10.34.9 \
 && pnpm install --frozen-lockfile \
 && pnpm exec turbo run build --filter=@certctl/agent... $(for p in $CERTCTL_CONNECTORS; do printf -- '--filter=%s... ' "$p"; done) \
 && node deploy/docker/pack-tarballs.mjs --out /tarballs @certctl/agent $CERTCTL_CONNECTORS

# 2. install: `npm install` of the tarballs into /opt/certctl, nothing else.
FROM node:${NODE_VERSION}-bookworm-slim AS install
ARG CERTCTL_CONNECTORS="@certctl/target-nginx @certctl/target-haproxy @certctl/target-traefik"
COPY --from=pack /tarballs /tarballs
COPY deploy/docker/build-rootfs.sh deploy/docker/healthcheck.mjs /build/
RUN sh /build/build-rootfs.sh agent /tarballs /opt/certctl $CERTCTL_CONNECTORS

# 3. runtime: node, the installed tree (owned by root, read-only to the app), a state volume.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
RUN groupadd --system --gid 10001 certctl \
 && useradd --system --uid 10001 --gid certctl --home-dir /var/lib/certctl-agent --shell /usr/sbin/nologin certctl \
 && install -d -o certctl -g certctl -m 0700 /var/lib/certctl-agent
COPY --from=install /opt/certctl /opt/certctl
ENV NODE_ENV=production \
    CERTCTL_AGENT_STATE_DIR=/var/lib/certctl-agent \
    PATH=/opt/certctl/node_modules/.bin:$PATH
# Non-root by default. Deploying into another container's files needs that directory writable by
# uid 10001 (a shared volume); reloading a service on the host needs more, and is a choice to make
# explicitly (docs/deployment.md).
USER 10001:10001
WORKDIR /var/lib/certctl-agent
VOLUME ["/var/lib/certctl-agent"]
HEALTHCHECK --interval=60s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "/opt/certctl/healthcheck.mjs", "agent"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["certctl-agent"]
