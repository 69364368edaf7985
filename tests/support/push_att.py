"""Stores the cosign attestations of an OCI layout written by `cosign save`
(slsa-verifier's real ones in ../shared/testdata/sigstore-v2) in a registry
as cosign does: the `.att` manifest, its config and DSSE layers, under the
tag `sha256-<subject hex>.att`. The subject image itself is not pushed (its
platform manifests are not in the fixture); the verifier reads it by digest.

usage: push_att.py STACK_LIB HOST REPO LAYOUT_DIR
Prints the subject digest.
"""
import json
import os
import sys

sys.path.insert(0, sys.argv[1])
import registry  # noqa: E402

host, repo, layout = sys.argv[2:5]
c = registry.Registry(host)
index = json.load(open(os.path.join(layout, "index.json")))


def blob(digest):
    return open(os.path.join(layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb").read()


kinds = {m["annotations"]["kind"]: m for m in index["manifests"]}
subject = kinds["dev.cosignproject.cosign/imageIndex"]["digest"]
att = kinds["dev.cosignproject.cosign/atts"]
manifest = json.loads(blob(att["digest"]))
for d in [manifest["config"]] + manifest["layers"]:
    c.push_blob(repo, blob(d["digest"]), d["digest"])
c.put_manifest(repo, "sha256-" + subject.split(":", 1)[1] + ".att", blob(att["digest"]), att["mediaType"])
print(subject)
