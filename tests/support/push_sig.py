"""Stores cosign v2 signatures in a registry as cosign does: a `.sig`
manifest under the tag `sha256-<hex>.sig` of the signed image, one
simple-signing layer per signature with its annotations (signature,
certificate, chain, Rekor bundle). The signatures are containers/image's
serialised layers (`\\0sigstore-json\\n` + {mimeType, payload, annotations}),
real ones from ../shared/testdata/sigstore-v2, never made here.

usage: push_sig.py STACK_LIB HOST REPO SUBJECT_DIGEST SIGNATURE_FILE...
Uses ../shared/stack/lib/registry.py (the stack's own client).
"""
import base64
import json
import sys

sys.path.insert(0, sys.argv[1])
import registry  # noqa: E402

host, repo, subject = sys.argv[2:5]
c = registry.Registry(host)
layers = []
for path in sys.argv[5:]:
    raw = open(path, "rb").read()
    prefix = b"\x00sigstore-json\n"
    assert raw.startswith(prefix), path
    sig = json.loads(raw[len(prefix):])
    payload = base64.b64decode(sig["payload"])
    layers.append({
        "mediaType": sig["mimeType"],
        "digest": c.push_blob(repo, payload),
        "size": len(payload),
        "annotations": sig["annotations"],
    })
config = b"{}"
manifest = {
    "schemaVersion": 2,
    "mediaType": registry.OCI_MANIFEST,
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": c.push_blob(repo, config), "size": len(config)},
    "layers": layers,
}
mbytes = registry.canonical_json(manifest)
print(c.put_manifest(repo, "sha256-" + subject.split(":", 1)[1] + ".sig", mbytes, registry.OCI_MANIFEST))
