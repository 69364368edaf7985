"""Copies an image and its cosign `.sig` tag to another repository of the
same registry, unchanged: what a registry mirror does. The signature's payload
still names the source repository in its docker-reference, so a policy with
`check-reference = true` must fail the copy and one without it must pass it.

usage: mirror_image.py STACK_LIB HOST SRC_REPO TAG DST_REPO
Uses ../shared/stack/lib/registry.py (the stack's own client).
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import registry  # noqa: E402

host, src, tag, dst = sys.argv[2:6]
c = registry.Registry(host)


def copy(ref):
    body, media_type, digest = c.get_manifest(src, ref)
    m = json.loads(body)
    for d in [m.get("config")] + m.get("layers", []):
        if d:
            c.push_blob(dst, c.get_blob(src, d["digest"]), d["digest"])
    c.put_manifest(dst, ref, body, media_type)
    return digest


digest = copy(tag)
copy("sha256-" + digest.split(":", 1)[1] + ".sig")
print(digest)
