"""Copies an image to another repository and, when edits are given, adds
one layer that rewrites a file: what rebuilding a base image with updated
packages looks like to a registry (new digest, same tag).

usage: patch_image.py STACK_LIB HOST SRC_REPO SRC_TAG DST_REPO DST_TAG [PATH OLD NEW]...
Each PATH's text is taken from the image's layers (the last layer that
writes it), OLD replaced by NEW (every occurrence; OLD must occur), and the
result written by the added layer. With OLD `@file`, NEW is a local file
copied to PATH as an executable (`@data`: as a plain file); with OLD
`@delete`, PATH is whited out. Prints the pushed manifest's digest.
Uses ../shared/stack/lib/registry.py (the stack's own client).
"""
import gzip
import hashlib
import io
import json
import sys
import tarfile

sys.path.insert(0, sys.argv[1])
import registry  # noqa: E402

host, src, src_tag, dst, dst_tag = sys.argv[2:7]
edits = sys.argv[7:]
if len(edits) % 3:
    sys.exit("edits come in threes: PATH OLD NEW")
c = registry.Registry(host)
body, media_type, _ = c.get_manifest(src, src_tag)
manifest = json.loads(body)
config = json.loads(c.get_blob(src, manifest["config"]["digest"]))
for d in manifest["layers"]:
    c.push_blob(dst, c.get_blob(src, d["digest"]), d["digest"])

files = {}
executables = set()
for i in range(0, len(edits), 3):
    path, old, new = edits[i : i + 3]
    if old in ("@file", "@data"):
        with open(new, "rb") as f:
            files[path] = f.read()
        if old == "@file":
            executables.add(path)
        continue
    if old == "@delete":
        head, _, base = path.rpartition("/")
        files[(head + "/" if head else "") + ".wh." + base] = b""
        continue
    text = files.get(path)
    if text is None:
        for d in manifest["layers"]:
            with tarfile.open(fileobj=io.BytesIO(c.get_blob(src, d["digest"])), mode="r:*") as t:
                while True:
                    try:  # the stack's layers end without a tar trailer
                        m = t.next()
                    except tarfile.ReadError:
                        break
                    if m is None:
                        break
                    if m.name.lstrip("./") == path and m.isfile():
                        text = t.extractfile(m).read().decode()
    if text is None or old not in text:
        sys.exit(f"{path}: no `{old}` to replace")
    files[path] = text.replace(old, new)

if files:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, text in sorted(files.items()):
            data = text if isinstance(text, bytes) else text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o755 if path in executables else 0o644
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    gz = gzip.compress(tar, mtime=0)
    digest = "sha256:" + hashlib.sha256(gz).hexdigest()
    c.push_blob(dst, gz, digest)
    manifest["layers"].append(
        {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": len(gz)}
    )
    config["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(tar).hexdigest())
    config.setdefault("history", []).append(
        {"created": "2023-11-14T22:13:20Z", "created_by": "patch_image.py: " + ", ".join(sorted(files))}
    )
cfg = registry.canonical_json(config)
cfg_digest = "sha256:" + hashlib.sha256(cfg).hexdigest()
c.push_blob(dst, cfg, cfg_digest)
manifest["config"] = dict(manifest["config"], digest=cfg_digest, size=len(cfg))
out = json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()
c.put_manifest(dst, dst_tag, out, media_type)
print("sha256:" + hashlib.sha256(out).hexdigest())
