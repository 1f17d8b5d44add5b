# keyheat's container image. Build: docker build -t keyheat . (or podman build --format docker,
# which keeps the HEALTHCHECK). Run:
#   docker run -d -p 127.0.0.1:8080:8080 -v keyheat-data:/data --name keyheat keyheat
#   docker logs keyheat 2>&1 >/dev/null     # the first start's admin token, shown once
# Configuration comes from KEYHEAT_* variables (docs/container.md) or a file named by KEYHEAT_CONFIG.
#
# BASE_IMAGE: any Debian bookworm-based image with Node >= 20.19 as /usr/local/bin/node and npm
# (the official node:20-bookworm-slim by default; scripts/container-base.sh builds a stand-in where
# no registry is reachable). Both stages use it, so the native module built in the first runs in
# the second.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
# better-sqlite3 is compiled from source where no prebuilt binary can be downloaded: node-gyp
# needs python3, make and g++. tini is copied into the runtime stage from here.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first: this layer is rebuilt only when the lockfile changes. --ignore-scripts
# skips the package's own prepare (the sources are not here yet); rebuild then runs the
# dependencies' install scripts.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
# Production dependencies only; of better-sqlite3's build, only the module itself (its sources and
# object files are 25 MB that nothing loads).
RUN npm run build && npm prune --omit=dev --no-audit --no-fund && chmod 0755 dist/main.js \
 && cd node_modules/better-sqlite3 \
 && find build -mindepth 1 -not -path build/Release -not -path build/Release/better_sqlite3.node -delete \
 && rm -rf deps src binding.gyp

FROM ${BASE_IMAGE}
# Its own user (a stand-in base need not have node's); numeric, so that runAsNonRoot can check it.
RUN groupadd --system --gid 10001 keyheat \
 && useradd --system --uid 10001 --gid keyheat --home-dir /data --no-create-home --shell /usr/sbin/nologin keyheat \
 && install -d -m 0700 -o keyheat -g keyheat /data
COPY --from=build /usr/bin/tini /usr/bin/tini
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN ln -s /app/dist/main.js /usr/local/bin/keyheat
# The environment wins over a config file (KEYHEAT_CONFIG): set these variables to change them.
# The shutdown grace is 8 s, not keyheat's 10 s, so that analyses are handed back before
# docker stop's default 10 s run out.
ENV NODE_ENV=production \
    KEYHEAT_HOST=0.0.0.0 \
    KEYHEAT_PORT=8080 \
    KEYHEAT_DATA_DIR=/data \
    KEYHEAT_RUNNER_SHUTDOWN_GRACE_MS=8000
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
# keyheat healthcheck reads the same configuration as serve, so it follows KEYHEAT_PORT and TLS.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["keyheat", "healthcheck"]
# tini as PID 1 passes SIGTERM on and reaps; keyheat stops taking work, lets running analyses
# finish for the grace period, hands the rest back to the queue and exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "keyheat"]
CMD ["serve"]
