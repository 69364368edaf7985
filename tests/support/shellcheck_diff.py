"""Differential test of plimsoll's shell rules against ShellCheck.

Every RUN body of the Dockerfiles under CORPUS is extracted as the shell would
run it (BuildKit's parser: continuations joined, heredoc bodies run by the
shell), given to ShellCheck the way hadolint does (a shebang for the stage's
SHELL, `export NAME=1` for every ARG/ENV seen so far, SC2187/SC1090/SC1091
excluded), and compared with plimsoll's findings over the same files, RUN by
RUN, per ShellCheck id that a plimsoll rule carries as an alias.

usage: shellcheck_diff.py SHELLCHECK CORPUS PLIMSOLL_JSON RULES_JSON [--examples N]

Prints one line per id: `SC2086 both=.. shellcheck_only=.. plimsoll_only=..`,
then up to N examples of each disagreement (file:line code).
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

import dockerfile

POSIX = {"sh", "bash", "dash", "ash", "ksh", "mksh", "busybox"}


def runs(path):
    """(start_line, end_line, script) of each shell-form RUN of a file."""
    try:
        cmds = dockerfile.parse_file(path)
    except Exception:
        return []
    out = []
    shell = ["/bin/sh", "-c"]
    names = []
    for c in cmds:
        if c.cmd == "FROM":
            shell = ["/bin/sh", "-c"]
        elif c.cmd == "SHELL" and c.json:
            shell = list(c.value)
        elif c.cmd in ("ARG", "ENV"):
            vals = c.value if c.cmd == "ARG" else c.value[::2]
            names += [v.split("=")[0] for v in vals]
        elif c.cmd == "RUN" and not c.json:
            prog = os.path.basename(shell[0]) if shell else ""
            if prog not in POSIX:
                continue
            if not c.value:
                continue
            body = c.value[0]
            if c.heredocs and body.strip().startswith("<<"):
                # `RUN <<EOF`: the body is the script, unless its shebang
                # names something else (`#!/usr/bin/env python3`).
                body = c.heredocs[0].content
                first = body.lstrip("\t").split("\n", 1)[0]
                if first.startswith("#!") and os.path.basename(first[2:].split()[-1] if "env" in first else first[2:].split()[0]) not in POSIX:
                    continue
            elif c.heredocs:
                # A command line feeding heredocs (`cat <<EOF > f`): the shell
                # reads the bodies after it.
                for h in c.heredocs:
                    body += "\n" + h.content + ("" if h.content.endswith("\n") or not h.content else "\n") + h.name
            bang = "/bin/bash" if prog in ("bash", "ksh", "mksh") else "/bin/sh"
            exports = "".join(
                "export %s=1\n" % n for n in dict.fromkeys(names) if n.isidentifier()
            )
            out.append((c.start_line, c.end_line, "#!%s\n%s%s\n" % (bang, exports, body)))
    return out


def main():
    shellcheck, corpus, plimsoll_json, rules_json = sys.argv[1:5]
    examples = int(sys.argv[sys.argv.index("--examples") + 1]) if "--examples" in sys.argv else 3
    alias = {}
    for r in json.load(open(rules_json)):
        for a in r.get("aliases", []):
            if a.startswith("SC"):
                alias.setdefault(r["id"], a)
                alias.setdefault("all:" + r["id"], []).append(a)
    ids = {a: rid for rid in alias if not rid.startswith("all:") for a in alias["all:" + rid]}

    files = []
    for dp, _, fn in os.walk(corpus):
        for f in fn:
            files.append(os.path.realpath(os.path.join(dp, f)))
    files.sort()

    # ShellCheck, one temporary script per RUN.
    spans = {}  # file -> [(start, end)]
    sc = collections.Counter()  # (file, start, code)
    with tempfile.TemporaryDirectory() as tmp:
        index = {}
        for f in files:
            for (start, end, script) in runs(f):
                spans.setdefault(f, []).append((start, end))
                name = os.path.join(tmp, "%06d.sh" % len(index))
                with open(name, "w") as h:
                    h.write(script)
                index[name] = (f, start)
        names = sorted(index)
        for i in range(0, len(names), 300):
            res = subprocess.run(
                [shellcheck, "-f", "json1", "-e", "2187,1090,1091"] + names[i : i + 300],
                capture_output=True, text=True,
            )
            for c in json.loads(res.stdout or '{"comments": []}')["comments"]:
                code = "SC%d" % c["code"]
                if code in ids:
                    # Parse errors are one rule: count one per RUN.
                    sc[index[c["file"]] + (canonical(code, ids, alias),)] += 1
    for k in list(sc):
        if k[2] in parse_class(alias):
            sc[k] = 1

    pl = collections.Counter()
    for f in json.load(open(plimsoll_json))["findings"]:
        rid = f["rule_id"]
        if rid not in alias:
            continue
        path = os.path.realpath(f["location"]["path"])
        line = f["location"]["region"]["start"]["line"]
        for (start, end) in spans.get(path, []):
            if start <= line <= end:
                pl[(path, start, alias[rid])] += 1
                break
    for k in list(pl):
        if k[2] in parse_class(alias):
            pl[k] = 1

    codes = sorted(set(alias[r] for r in alias if not r.startswith("all:")))
    disagreements = []
    for code in codes:
        both = sc_only = pl_only = 0
        for k in set(sc) | set(pl):
            if k[2] != code:
                continue
            a, b = sc.get(k, 0), pl.get(k, 0)
            both += min(a, b)
            if a > b:
                sc_only += a - b
                disagreements.append(("shellcheck-only", k))
            elif b > a:
                pl_only += b - a
                disagreements.append(("plimsoll-only", k))
        print("%s both=%d shellcheck_only=%d plimsoll_only=%d" % (code, both, sc_only, pl_only))
    shown = collections.Counter()
    for kind, (f, line, code) in sorted(disagreements):
        if shown[(kind, code)] < examples:
            shown[(kind, code)] += 1
            print("example %s %s %s:%d" % (kind, code, os.path.relpath(f, corpus), line))


def canonical(code, ids, alias):
    """The first alias of the rule that carries `code` (SC1072 -> SC1009's rule)."""
    return alias[ids[code]]


def parse_class(alias):
    return {alias[r] for r in alias if not r.startswith("all:") and alias[r].startswith("SC1") and len(alias["all:" + r]) > 3}


if __name__ == "__main__":
    main()
