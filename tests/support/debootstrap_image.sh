#!/usr/bin/env bash
# Builds a real Debian 12 root filesystem with `debootstrap --variant=minbase`
# (cached under OUT/rootfs), packs it as a one-layer OCI image with umoci, and
# copies it with skopeo to REGISTRY/plimsoll-e2e/debootstrap:bookworm and to a
# `docker save`-style archive. Prints nothing on success; needs root, network
# access to the Debian mirror, debootstrap, umoci and skopeo.
#
# usage: debootstrap_image.sh OUT [REGISTRY]
#
# Without REGISTRY, only the root filesystem (the part that downloads):
# scripts/test starts that early, in the background. One run at a time per
# OUT (flock): the test's run waits for that one, then finds its work done.
set -euo pipefail
OUT=$1
REGISTRY=${2:-}
# The mirror: PLIMSOLL_DEBIAN_MIRROR, else debootstrap's own default.
MIRROR=${PLIMSOLL_DEBIAN_MIRROR:-}
mkdir -p "$OUT"
exec 9>"$OUT/.lock"
flock 9
if [ ! -f "$OUT/rootfs/var/lib/dpkg/status" ]; then
    rm -rf "$OUT/rootfs.tmp"
    debootstrap --variant=minbase bookworm "$OUT/rootfs.tmp" ${MIRROR:+"$MIRROR"} >"$OUT/debootstrap.log" 2>&1 \
        || { tail -20 "$OUT/debootstrap.log" >&2; exit 1; }
    mv "$OUT/rootfs.tmp" "$OUT/rootfs"
fi
[ -n "$REGISTRY" ] || exit 0
if [ ! -f "$OUT/oci/index.json" ] || [ ! -f "$OUT/debootstrap.tar" ]; then
    rm -rf "$OUT/oci" "$OUT/layer.tar" "$OUT/debootstrap.tar"
    tar --numeric-owner -C "$OUT/rootfs" -cf "$OUT/layer.tar" .
    umoci init --layout "$OUT/oci"
    umoci new --image "$OUT/oci:bookworm"
    umoci raw add-layer --image "$OUT/oci:bookworm" "$OUT/layer.tar"
    rm -f "$OUT/layer.tar"
    skopeo copy -q "oci:$OUT/oci:bookworm" "docker-archive:$OUT/debootstrap.tar:debootstrap:bookworm"
fi
skopeo copy -q --dest-tls-verify=false "oci:$OUT/oci:bookworm" "docker://$REGISTRY/plimsoll-e2e/debootstrap:bookworm"
