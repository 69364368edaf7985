"""Stores a Sigstore bundle in a registry the way cosign v3 does: an OCI
artifact manifest (artifactType = the bundle media type, `subject` = the
image) whose one layer is the bundle, listed in the OCI referrers fallback
index (tag `sha256-<hex>`) because distribution 2.8 has no referrers API.

usage: push_bundle.py STACK_LIB HOST REPO SUBJECT_DIGEST BUNDLE_FILE
Uses ../shared/stack/lib/registry.py (the stack's own client).
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import registry  # noqa: E402

host, repo, subject, path = sys.argv[2:6]
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY = "application/vnd.oci.empty.v1+json"
c = registry.Registry(host)
bundle = open(path, "rb").read()
b = c.push_blob(repo, bundle)
e = c.push_blob(repo, b"{}")
manifest = {
    "schemaVersion": 2,
    "mediaType": registry.OCI_MANIFEST,
    "artifactType": BUNDLE,
    "config": {"mediaType": EMPTY, "digest": e, "size": 2},
    "layers": [{"mediaType": BUNDLE, "digest": b, "size": len(bundle)}],
    "subject": {"mediaType": registry.OCI_MANIFEST, "digest": subject, "size": 1000},
}
mbytes = registry.canonical_json(manifest)
m = c.put_manifest(repo, registry.sha256_digest(mbytes), mbytes, registry.OCI_MANIFEST)
index = {
    "schemaVersion": 2,
    "mediaType": registry.OCI_INDEX,
    "manifests": [{"mediaType": registry.OCI_MANIFEST, "digest": m, "size": len(mbytes), "artifactType": BUNDLE}],
}
ibytes = registry.canonical_json(index)
c.put_manifest(repo, "sha256-" + subject.split(":", 1)[1], ibytes, registry.OCI_INDEX)
print(m)
