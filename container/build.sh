#!/usr/bin/env bash
# Builds the plimsoll image for linux/amd64 and linux/arm64 without a
# daemon (buildah, vfs storage, chroot isolation: runs in CI containers and
# unprivileged runners alike), as one manifest list.
#
#   container/build.sh CONTEXT NAME VERSION
#
# CONTEXT holds plimsoll-amd64, plimsoll-arm64 and ca-certificates.crt;
# NAME is the local manifest list to create (push it with
# `buildah manifest push --all NAME DEST`). BUILDAH_ARGS adds global options
# (e.g. --root/--runroot for a private store).
set -euo pipefail
context=$1 name=$2 version=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
read -r -a global <<< "${BUILDAH_ARGS:-}"
global=(--storage-driver vfs "${global[@]}")
for f in plimsoll-amd64 plimsoll-arm64 ca-certificates.crt; do
  [ -f "$context/$f" ] || { echo "container/build.sh: $context/$f is missing" >&2; exit 2; }
done
buildah "${global[@]}" manifest rm "$name" >/dev/null 2>&1 || true
buildah "${global[@]}" manifest create "$name" >/dev/null
for arch in amd64 arm64; do
  buildah "${global[@]}" bud --quiet --isolation chroot --format docker \
    --platform "linux/$arch" --build-arg "VERSION=$version" \
    --manifest "$name" -f "$here/Dockerfile" "$context" >/dev/null
done
buildah "${global[@]}" manifest inspect "$name" >/dev/null
echo "built $name (linux/amd64, linux/arm64)"
