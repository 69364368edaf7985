"""An independent reading of image references, for tests/manifests.rs.

For each `KIND=PATH` argument, prints `PATH<TAB>VALUE` for every image
reference the file names, read with PyYAML (merge keys and anchors resolved
by the loader) or, for devcontainer.json, Python's json after removing
comments and trailing commas. Written from the tools' documentation, not
from plimsoll's code: compose `services.*.image`; Kubernetes pod specs of
Pod, PodTemplate, Deployment, StatefulSet, DaemonSet, ReplicaSet,
ReplicationController, Job and CronJob (and `List` items); GitHub workflow
`jobs.*.container` (string or `image`), `jobs.*.services.*.image`,
`steps[*].uses: docker://`; GitLab CI `image` / `services` (string or
`name`) at top level, in `default` and in jobs; devcontainer `image`.
A file PyYAML cannot load prints `PATH<TAB>!error`.
"""

import json
import re
import sys

import yaml

POD_SPEC = {
    "Pod": ["spec"],
    "PodTemplate": ["template", "spec"],
    "Deployment": ["spec", "template", "spec"],
    "StatefulSet": ["spec", "template", "spec"],
    "DaemonSet": ["spec", "template", "spec"],
    "ReplicaSet": ["spec", "template", "spec"],
    "ReplicationController": ["spec", "template", "spec"],
    "Job": ["spec", "template", "spec"],
    "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
}

GITLAB_GLOBAL = {
    "default", "include", "stages", "variables", "workflow", "image",
    "services", "cache", "before_script", "after_script", "types", "spec",
}


class Loader(yaml.SafeLoader):
    """SafeLoader that reads application tags (GitLab's `!reference`,
    Compose's `!reset`/`!override`) as the plain node under them."""


def _untagged(loader, _suffix, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)


Loader.add_multi_constructor("!", _untagged)


def text(v):
    return v if isinstance(v, str) else None


def mapping(v):
    return v if isinstance(v, dict) else {}


def sequence(v):
    return v if isinstance(v, list) else []


def compose(doc):
    for svc in mapping(doc.get("services")).values():
        if isinstance(svc, dict) and text(svc.get("image")):
            yield svc["image"]


def kubernetes(doc):
    kind = doc.get("kind")
    if isinstance(kind, str) and kind.endswith("List"):
        for item in sequence(doc.get("items")):
            if isinstance(item, dict):
                yield from kubernetes(item)
        return
    spec = doc
    for key in POD_SPEC.get(kind, [None]):
        spec = spec.get(key) if isinstance(spec, dict) and key else None
    if not isinstance(spec, dict):
        return
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for c in sequence(spec.get(group)):
            if isinstance(c, dict) and text(c.get("image")):
                yield c["image"]


def workflow(doc):
    for job in mapping(doc.get("jobs")).values():
        if not isinstance(job, dict):
            continue
        c = job.get("container")
        if text(c):
            yield c
        elif isinstance(c, dict) and text(c.get("image")):
            yield c["image"]
        for s in mapping(job.get("services")).values():
            if isinstance(s, dict) and text(s.get("image")):
                yield s["image"]
        for step in sequence(job.get("steps")):
            uses = step.get("uses") if isinstance(step, dict) else None
            if text(uses) and uses.startswith("docker://"):
                yield uses[len("docker://"):]


def gitlab_job(job):
    def named(v):
        if text(v):
            return v
        if isinstance(v, dict) and text(v.get("name")):
            return v["name"]
        return None

    if named(job.get("image")):
        yield named(job["image"])
    for s in sequence(job.get("services")):
        if named(s):
            yield named(s)


def gitlab(doc):
    yield from gitlab_job(doc)
    if isinstance(doc.get("default"), dict):
        yield from gitlab_job(doc["default"])
    for key, job in doc.items():
        if key not in GITLAB_GLOBAL and isinstance(job, dict):
            yield from gitlab_job(job)


def jsonc(src):
    """JSON with // and /* */ comments and trailing commas, as plain JSON."""
    out, i, n = [], 0, len(src)
    while i < n:
        ch = src[i]
        if ch == '"':
            m = re.compile(r'"(?:[^"\\]|\\.)*"').match(src, i)
            out.append(m.group(0))
            i = m.end()
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            i = src.index("*/", i) + 2
        else:
            out.append(ch)
            i += 1
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", "".join(out)))


def devcontainer(doc):
    if text(doc.get("image")):
        yield doc["image"]


READERS = {
    "compose": compose,
    "kubernetes": kubernetes,
    "github-workflow": workflow,
    "gitlab-ci": gitlab,
    "devcontainer": devcontainer,
}


def main():
    for arg in sys.argv[1:]:
        kind, path = arg.split("=", 1)
        with open(path, encoding="utf-8") as f:
            src = f.read()
        try:
            docs = [jsonc(src)] if kind == "devcontainer" else list(yaml.load_all(src, Loader=Loader))
        except Exception:  # noqa: BLE001 - any failure is reported as such
            print(f"{path}\t!error")
            continue
        for doc in docs:
            if isinstance(doc, dict):
                for value in READERS[kind](doc):
                    value = value.strip()
                    if value:
                        print(f"{path}\t{value}")


main()
