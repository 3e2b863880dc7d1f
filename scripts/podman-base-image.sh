#!/usr/bin/env bash
# Makes sure podman's storage holds the base image localhost/debian:12 (no registry is reachable here, so
# `FROM debian:12` cannot be pulled): built once from Debian's archive with mmdebstrap and imported; later runs
# find it in podman's own storage (/var/lib/containers, persistent) and return at once.
# Usage: scripts/podman-base-image.sh [IMAGE]   (default localhost/debian:12). Exit 0: the image exists.
set -euo pipefail

image=${1:-localhost/debian:12}
here=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/deploy/test/containers.conf}
podman=(podman --runtime runc --storage-driver vfs)

command -v podman >/dev/null || { echo "podman-base-image: podman is not installed (scripts/install-deps.sh)" >&2; exit 3; }
command -v mmdebstrap >/dev/null || { echo "podman-base-image: mmdebstrap is not installed (scripts/install-deps.sh)" >&2; exit 3; }

# One builder at a time (make test and a developer may both ask); the others wait and then find the image.
exec 9>/tmp/cloudopt-podman-base.lock
timeout 600 flock 9

if "${podman[@]}" image exists "$image"; then
  exit 0
fi

work=$(mktemp -d /var/tmp/cloudopt-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "podman-base-image: building $image with mmdebstrap (about 2 minutes, once)" >&2
start=$(date +%s)
timeout 900 mmdebstrap --quiet --variant=minbase --mode=root bookworm "$work/base.tar"
timeout 300 "${podman[@]}" import --change 'CMD ["/bin/bash"]' "$work/base.tar" "$image" >/dev/null
echo "podman-base-image: $image built in $(( $(date +%s) - start )) s" >&2
