# syntax=docker/dockerfile:1
# certctl server image. Build from the repository root (a clone: the pack stage reads git data):
#   docker build -f deploy/docker/server.Dockerfile -t certctl/server .
# Extra connectors (workspace package names) go in CERTCTL_CONNECTORS, space separated:
#   docker build -f deploy/docker/server.Dockerfile --build-arg CERTCTL_CONNECTORS="@certctl/issuer-vault" .
# The stages run the same scripts as the test that checks the image's contents
# (tooling/deploy/images.test.ts): pack-tarballs.mjs, then build-rootfs.sh.
ARG NODE_VERSION=20.20.2

# 1. pack: build the workspace and pack the tarballs an operator would install.
FROM node:${NODE_VERSION}-bookworm AS pack
ARG CERTCTL_CONNECTORS=""
WORKDIR /src
COPY . .
RUN npm install --global --no-audit --no-fund pnpm@10.34.9 \
 && pnpm install --frozen-lockfile \
 && pnpm exec turbo run build --filter=@certctl/server... $(for p in $CERTCTL_CONNECTORS; do printf -- '--filter=%s... ' "$p"; done) \
 && node deploy/docker/pack-tarballs.mjs --out /tarballs @certctl/server $CERTCTL_CONNECTORS

# 2. install: `npm install` of the tarballs into /opt/certctl, nothing else.
FROM node:${NODE_VERSION}-bookworm-slim AS install
ARG CERTCTL_CONNECTORS=""
COPY --from=pack /tarballs /tarballs
COPY deploy/docker/build-rootfs.sh deploy/docker/healthcheck.mjs /build/
RUN sh /build/build-rootfs.sh server /tarballs /opt/certctl $CERTCTL_CONNECTORS

# 3. runtime: node, the installed tree (owned by root, read-only to the app), a data volume.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
RUN groupadd --system --gid 10001 certctl \
 && useradd --system --uid 10001 --gid certctl --home-dir /var/lib/certctl --shell /usr/sbin/nologin certctl \
 && install -d -o certctl -g certctl -m 0700 /var/lib/certctl
COPY --from=install /opt/certctl /opt/certctl
ENV NODE_ENV=production \
    CERTCTL_DATA_DIR=/var/lib/certctl \
    CERTCTL_SERVER_HOST=0.0.0.0 \
    CERTCTL_SERVER_PORT=8443 \
    CERTCTL_PKI_HTTP_PORT=8080 \
    CERTCTL_LOG_FORMAT=json \
    PATH=/opt/certctl/node_modules/.bin:$PATH
USER 10001:10001
WORKDIR /var/lib/certctl
VOLUME ["/var/lib/certctl"]
EXPOSE 8443 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "/opt/certctl/healthcheck.mjs", "server"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["certctl-server"]
