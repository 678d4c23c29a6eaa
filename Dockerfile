# Built on the current Node LTS (26); the code also runs on Node 20.19+ (package.json "engines").
# Build stage: compiles TypeScript and argon2's native addon (python3, make and g++ are needed here only).
FROM node:26-trixie-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# npm pinned to the version the lockfile is made with; it honours package.json "allowScripts"
# (only argon2 may run an install script).
RUN npm install -g --no-audit --no-fund npm@11.19.1
# argon2's bundled prebuilt linux binary crashes on load on some hosts: always compile it, against
# this image's own Node headers (node-gyp then downloads nothing).
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
# Then keep only what runs: no source maps or build info, and of argon2 only the compiled addon
# (not its C sources, object files, Makefiles or the prebuilt binaries for other platforms).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && find dist node_modules -name '*.map' -type f -delete \
 && rm -f dist/.tsbuildinfo \
 && cd node_modules/argon2 \
 && mv build/Release/argon2.node /tmp/argon2.node \
 && rm -rf build prebuilds argon2 argon2.cpp binding.gyp \
 && mkdir -p build/Release && mv /tmp/argon2.node build/Release/argon2.node

# Runtime stage: production dependencies and compiled code only, as the unprivileged node user.
# The embedded store (no DATABASE_URL) lives in /data: mount a named volume there (README "Container").
FROM node:26-trixie-slim
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=1 \
    MALLOC_MMAP_THRESHOLD_=33554432 \
    MALLOC_TRIM_THRESHOLD_=268435456 \
    GLIBC_TUNABLES=glibc.malloc.hugetlb=1 \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# As `npm start`: the launcher sizes libuv's pool, the flag caps V8's young generation (README "Performance").
ENTRYPOINT ["node", "--max-semi-space-size=4", "--heap-growing-percent=30", "dist/src/bin.cjs"]
CMD ["serve"]
