"""Run a composite action's steps as the GitHub Actions runner would, here.

Used by tests/action.rs to test action.yml for real (download, checksum,
install, run, outputs, failure) on a machine without GitHub. Bash steps run
with the runner's shell (`bash --noprofile --norc -eo pipefail`) and its
environment files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH);
`${{ }}` expressions are evaluated for the forms action.yml uses (contexts
inputs/steps/github, literals, == != && || !, always/success/failure). Steps
that `uses:` another action are not run, and every such step is recorded
with its evaluated `with:`; actions/cache reports a miss, unless
RUN_ACTION_CACHE names a directory standing in for the cache service: then
a key found there is restored into `path` (cache-hit), and after the job
`path` is saved under its key, as actions/cache's post step does.

A workflow job runs the same way (`WORKFLOW_YML#JOB`): `secrets` come from
the JSON in RUN_ACTION_SECRETS, and a step that uses plimsoll-dev/plimsoll
runs RUN_ACTION_LOCAL (this checkout's action.yml) as a nested composite,
with RUN_ACTION_LOCAL_INPUTS (JSON) over its `with:`; actions/checkout does
nothing (the test prepared the checkout).

usage: run_action.py ACTION_YML WORKDIR [name=value ...]
       run_action.py WORKFLOW_YML#JOB WORKDIR
prints one JSON object: status, steps (id, outcome, outputs, with), outputs.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import atexit
import shutil

from ruamel.yaml import YAML


class Expr:
    TOKEN = re.compile(
        r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
        r"|(?P<id>[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z_*][A-Za-z0-9_\-]*)*))"
    )

    def __init__(self, text, ctx, status):
        self.toks = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            m = self.TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise SyntaxError(f"cannot parse expression at {text[pos:]!r}")
            pos = m.end()
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind)))
        self.i = 0
        self.ctx = ctx
        self.status = status

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def parse(self):
        v = self.or_()
        if self.i != len(self.toks):
            raise SyntaxError(f"trailing tokens {self.toks[self.i:]}")
        return v

    def or_(self):
        v = self.and_()
        while self.peek() == ("op", "||"):
            self.take()
            r = self.and_()
            v = v if truthy(v) else r
        return v

    def and_(self):
        v = self.cmp()
        while self.peek() == ("op", "&&"):
            self.take()
            r = self.cmp()
            v = r if truthy(v) else v
        return v

    def cmp(self):
        v = self.unary()
        while self.peek() in (("op", "=="), ("op", "!=")):
            op = self.take()[1]
            r = self.unary()
            eq = str(v).lower() == str(r).lower()
            v = eq if op == "==" else not eq
        return v

    def unary(self):
        if self.peek() == ("op", "!"):
            self.take()
            return not truthy(self.unary())
        return self.atom()

    def atom(self):
        kind, val = self.take()
        if kind == "str":
            return val[1:-1].replace("''", "'")
        if kind == "num":
            return val
        if kind == "op" and val == "(":
            v = self.or_()
            self.take()
            return v
        if kind == "id":
            if self.peek() == ("op", "("):
                self.take()
                self.take()  # ')' (only argument-less status functions are used)
                return {"always": True, "success": self.status == "success",
                        "failure": self.status == "failure", "cancelled": False}[val]
            cur = self.ctx
            for part in val.split("."):
                cur = cur.get(part, "") if isinstance(cur, dict) else ""
            return cur
        raise SyntaxError(f"unexpected {val!r}")


def truthy(v):
    return v not in ("", False, None, 0, "0")


def evaluate(text, ctx, status="success"):
    return Expr(text, ctx, status).parse()


def interpolate(value, ctx):
    if not isinstance(value, str):
        return value
    out = re.sub(r"\$\{\{(.*?)\}\}", lambda m: fmt(evaluate(m.group(1), ctx)), value)
    return out


def fmt(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def condition(cond, ctx, status):
    if cond is None:
        return status == "success"
    text = str(cond).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    uses_status = re.search(r"\b(always|success|failure|cancelled)\(\)", text)
    v = evaluate(text, ctx, status)
    if not uses_status:
        return status == "success" and truthy(v)
    return truthy(v)


def read_outputs(path):
    outputs = {}
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            body = []
            i += 1
            while i < len(lines) and lines[i] != delim:
                body.append(lines[i])
                i += 1
            outputs[key] = "\n".join(body)
        elif "=" in line:
            key, val = line.split("=", 1)
            outputs[key] = val
        i += 1
    return outputs


def run_steps(steps, ctx, base_env, workdir, temp, path_file, post_saves):
    """Runs steps in order; returns (status, report entries)."""
    status = "success"
    report = []
    for n, step in enumerate(steps):
        sid = step.get("id", f"__{n}")
        entry = {"id": sid, "name": step.get("name", "")}
        if not condition(step.get("if"), ctx, status):
            entry["outcome"] = "skipped"
            ctx["steps"][sid] = {"outcome": "skipped", "outputs": {}}
            report.append(entry)
            continue
        if "uses" in step:
            with_ = {k: interpolate(str(v), ctx) for k, v in (step.get("with") or {}).items()}
            outputs = {"cache-hit": "false"} if step["uses"].startswith("actions/cache@") else {}
            outcome = "success"
            store = os.environ.get("RUN_ACTION_CACHE")
            local = os.environ.get("RUN_ACTION_LOCAL")
            if store and step["uses"].startswith("actions/cache@"):
                saved = os.path.join(store, with_["key"])
                if os.path.isdir(saved):
                    shutil.copytree(saved, with_["path"], dirs_exist_ok=True)
                    outputs = {"cache-hit": "true"}
                else:
                    post_saves.append((with_["path"], saved))
            elif local and step["uses"].startswith("plimsoll-dev/plimsoll@"):
                # The action under test, run as the composite it is, with
                # RUN_ACTION_LOCAL_INPUTS (JSON) over the step's `with:`.
                given = dict(with_)
                given.update(json.loads(os.environ.get("RUN_ACTION_LOCAL_INPUTS", "{}")))
                nested = run_composite(local, workdir, given, temp, base_env, path_file, post_saves)
                outputs = nested["outputs"]
                outcome = nested["status"]
                entry["steps"] = nested["steps"]
            entry.update(outcome=outcome, uses=step["uses"], with_=with_, outputs=outputs)
            ctx["steps"][sid] = {"outcome": outcome, "outputs": outputs}
            if outcome == "failure":
                status = "failure"
            report.append(entry)
            continue
        if step.get("shell") != "bash":
            raise SystemExit(f"step {sid}: only bash steps are supported")
        env = dict(base_env)
        extra_path = [p for p in open(path_file).read().split("\n") if p]
        if extra_path:
            env["PATH"] = ":".join(reversed(extra_path)) + ":" + env["PATH"]
        for k, v in (step.get("env") or {}).items():
            env[k] = interpolate(str(v), ctx)
        out_file = tempfile.mktemp(prefix="output-", dir=temp)
        open(out_file, "w").close()
        env["GITHUB_OUTPUT"] = out_file
        env["GITHUB_PATH"] = path_file
        script = tempfile.mktemp(prefix="step-", suffix=".sh", dir=temp)
        with open(script, "w") as f:
            f.write(step["run"])
        cwd = interpolate(step.get("working-directory", "."), ctx)
        cwd = os.path.join(workdir, cwd)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                              cwd=cwd, env=env, capture_output=True, text=True)
        sys.stderr.write(proc.stdout + proc.stderr)
        outputs = read_outputs(out_file)
        outcome = "success" if proc.returncode == 0 else "failure"
        if outcome == "failure":
            status = "failure"
        entry.update(outcome=outcome, exit_code=proc.returncode, outputs=outputs,
                     log=proc.stdout + proc.stderr)
        ctx["steps"][sid] = {"outcome": outcome, "outputs": outputs}
        report.append(entry)
    return status, report


def github_context(workdir):
    env = os.environ
    return {"token": env.get("GITHUB_TOKEN", ""), "action_repository": "",
            "workspace": workdir, "action_ref": env.get("RUN_ACTION_REF", ""),
            "ref_name": env.get("GITHUB_REF_NAME", ""),
            "repository": env.get("GITHUB_REPOSITORY", "")}


def run_composite(action_path, workdir, given, temp, base_env, path_file, post_saves):
    action = YAML(typ="safe").load(open(action_path, encoding="utf-8"))
    ctx = {
        "github": github_context(workdir),
        "runner": {"os": "Linux", "arch": "X64", "temp": temp},
        "steps": {},
        "inputs": {},
    }
    given = dict(given)
    for name, spec in (action.get("inputs") or {}).items():
        default = interpolate(str(spec.get("default", "")), ctx)
        ctx["inputs"][name] = given.pop(name, default)
    if given:
        raise SystemExit(f"unknown inputs: {sorted(given)}")
    status, report = run_steps(action["runs"]["steps"], ctx, base_env, workdir, temp,
                               path_file, post_saves)
    outputs = {k: interpolate(str(v.get("value", "")), ctx)
               for k, v in (action.get("outputs") or {}).items()}
    return {"status": status, "steps": report, "outputs": outputs}


def main():
    action_path, workdir = sys.argv[1], sys.argv[2]
    given = dict(a.split("=", 1) for a in sys.argv[3:])
    temp = tempfile.mkdtemp(prefix="runner-")
    # The tool cache holds a whole plimsoll binary: never leave it behind
    # (the rest, such as the SARIF file, is small and read by the caller).
    atexit.register(shutil.rmtree, os.path.join(temp, "tool-cache"), True)
    base_env = dict(os.environ)
    base_env.update({
        "GITHUB_ACTIONS": "true",
        "RUNNER_OS": "Linux",
        "RUNNER_ARCH": "X64",
        "RUNNER_TEMP": temp,
        "RUNNER_TOOL_CACHE": os.path.join(temp, "tool-cache"),
        "GITHUB_STEP_SUMMARY": os.path.join(temp, "summary.md"),
        "GITHUB_WORKSPACE": workdir,
    })
    path_file = os.path.join(temp, "path")
    open(path_file, "w").close()
    post_saves = []
    if "#" in action_path:
        # `WORKFLOW.yml#JOB`: a workflow job's steps; `secrets` from the
        # JSON in RUN_ACTION_SECRETS.
        workflow_path, job = action_path.split("#", 1)
        workflow = YAML(typ="safe").load(open(workflow_path, encoding="utf-8"))
        ctx = {
            "github": github_context(workdir),
            "runner": {"os": "Linux", "arch": "X64", "temp": temp},
            "secrets": json.loads(os.environ.get("RUN_ACTION_SECRETS", "{}")),
            "steps": {},
        }
        status, report = run_steps(workflow["jobs"][job]["steps"], ctx, base_env, workdir,
                                   temp, path_file, post_saves)
        result = {"status": status, "steps": report, "outputs": {}}
    else:
        result = run_composite(action_path, workdir, given, temp, base_env, path_file,
                               post_saves)
    for path, saved in post_saves:
        if os.path.isdir(path):
            shutil.copytree(path, saved)
    summary = os.path.join(temp, "summary.md")
    result["summary"] = open(summary).read() if os.path.exists(summary) else ""
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
