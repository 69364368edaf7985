"""Gives the stack's real key signatures Rekor-style bundles made by a test
log: for each simple-signing layer of REPO's `sha256-<hex>.sig` manifest
(signed by ../shared/stack's signer, not by this code), a hashedrekord entry
of that payload hash, signature and public key, its signed entry timestamp
(ECDSA P-256 over the canonical JSON of body, integratedTime, logID,
logIndex, as Rekor signs it) made with LOG_KEY by the openssl CLI, set as
the layer's `dev.sigstore.cosign/bundle` annotation. The manifest is stored
under the same tag in DEST_REPO with its blobs; a trusted_root.json listing
the test log is written to ROOT_OUT.

usage: rekor_bundle.py STACK_LIB HOST REPO DIGEST DEST_REPO PUBLIC_KEY_PEM LOG_KEY_PEM ROOT_OUT
"""
import base64
import hashlib
import json
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, sys.argv[1])
import registry  # noqa: E402

host, repo, digest, dest, pub_pem, log_key, root_out = sys.argv[2:9]
c = registry.Registry(host)
tag = "sha256-" + digest.split(":", 1)[1] + ".sig"
body, media_type, _ = c.get_manifest(repo, tag)
manifest = json.loads(body)

log_der = subprocess.run(
    ["openssl", "ec", "-in", log_key, "-pubout", "-outform", "DER"],
    check=True, capture_output=True,
).stdout
log_id = hashlib.sha256(log_der).hexdigest()
public_key = base64.b64encode(open(pub_pem, "rb").read()).decode()


def sign(data):
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        return subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", log_key, f.name],
            check=True, capture_output=True,
        ).stdout


for index, layer in enumerate(manifest["layers"]):
    payload = c.get_blob(repo, layer["digest"])
    c.push_blob(dest, payload, layer["digest"])
    entry = {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()}},
            "signature": {
                "content": layer["annotations"]["dev.cosignproject.cosign/signature"],
                "publicKey": {"content": public_key},
            },
        },
    }
    signed = {
        "body": base64.b64encode(json.dumps(entry, separators=(",", ":")).encode()).decode(),
        "integratedTime": int(time.time()),
        "logID": log_id,
        "logIndex": 1000 + index,
    }
    canonical = json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()
    layer["annotations"]["dev.sigstore.cosign/bundle"] = json.dumps({
        "SignedEntryTimestamp": base64.b64encode(sign(canonical)).decode(),
        "Payload": signed,
    }, separators=(",", ":"))
config = manifest["config"]
c.push_blob(dest, c.get_blob(repo, config["digest"]), config["digest"])
mbytes = registry.canonical_json(manifest)
c.put_manifest(dest, tag, mbytes, manifest.get("mediaType", media_type))

root = {
    "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "tlogs": [{
        "baseUrl": "https://rekor.test.invalid",
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": base64.b64encode(log_der).decode(),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": "2020-01-01T00:00:00Z"},
        },
        "logId": {"keyId": base64.b64encode(bytes.fromhex(log_id)).decode()},
    }],
    "certificateAuthorities": [],
    "ctlogs": [],
    "timestampAuthorities": [],
}
json.dump(root, open(root_out, "w"))
print(log_id)
