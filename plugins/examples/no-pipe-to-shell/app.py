"""Example in-house policy in Python: never pipe a download into a shell.

`curl https://get.example.sh | sh` runs whatever the server sends today; the
platform team wants installers downloaded, checked and then run. Reports RUN
instructions (shell form, including heredoc bodies) where curl or wget output
is piped into sh, bash, zsh, dash, ash, python or perl, and `ADD https://...`
without `--checksum`. Settings: `allowed-hosts` (downloads from these hosts
may be piped, e.g. an internal mirror you trust).

Build: componentize-py -d ../../../wit -w dockerfile-plugin componentize app -o no_pipe_to_shell.wasm
Test:  plimsoll plugin test no_pipe_to_shell.wasm fixtures
"""
import json
import re

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import plugin
from wit_world.imports import types

PIPE = types.Rule(
    id="CORP020",
    name="no-pipe-to-shell",
    summary="A download is piped into a shell",
    default_level=types.Level.ERROR,
    aliases=[],
    docs="## What it does\nReports `curl ... | sh` and the like in RUN.\n\n## Why is this bad?\n"
    "The build runs whatever the server sends at that moment, unchecked.\n\n## Use instead\n"
    "Download to a file, verify its checksum or signature, then run it.\n",
    tags=["security", "supply-chain"],
    added_in="2026.11",
)
ADD_URL = types.Rule(
    id="CORP021",
    name="remote-add-without-checksum",
    summary="ADD of a URL without --checksum",
    default_level=types.Level.WARNING,
    aliases=[],
    docs="## What it does\nReports `ADD https://...` without `--checksum=sha256:...`.\n",
    tags=["security", "supply-chain"],
    added_in="2026.11",
)

SCHEMA = json.dumps({
    "type": "object",
    "additionalProperties": False,
    "properties": {"allowed-hosts": {"type": "array", "items": {"type": "string"}}},
})

DOWNLOAD = re.compile(r"\b(curl|wget)\b([^|;&]*)\|\s*(sudo\s+)?(\S*/)?(sh|bash|zsh|dash|ash|python3?|perl)\b")
URL_HOST = re.compile(r"https?://([^/\s\"':]+)")


def settings_of(settings: str) -> list:
    hosts = json.loads(settings or "{}").get("allowed-hosts", [])
    if not isinstance(hosts, list) or not all(isinstance(h, str) for h in hosts):
        raise Err(types.PluginError(message="`allowed-hosts` must be a list of strings"))
    return hosts


def finding(rule, message, span):
    return types.Finding(rule_id=rule.id, level=rule.default_level, message=message,
                         location=types.Location_File(span), fixes=[], security_severity=None,
                         help_uri=None, properties=None)


class Plugin(exports.Plugin):
    def metadata(self) -> plugin.PluginInfo:
        return plugin.PluginInfo(name="no-pipe-to-shell", version="1.0.0",
                                 description="Downloads are checked before they run",
                                 rules=[PIPE, ADD_URL], settings_schema=SCHEMA)

    def validate_settings(self, settings: str) -> None:
        settings_of(settings)


class DockerfileCheck(exports.DockerfileCheck):
    def check(self, doc, settings: str):
        allowed = settings_of(settings)
        out = []
        for ins in doc.instructions:
            if ins.keyword == "RUN" and not ins.json_form:
                script = " ".join(ins.args) + "".join("\n" + h.content for h in ins.heredocs)
                script = script.replace("\\\n", " ")
                for m in DOWNLOAD.finditer(script):
                    url = URL_HOST.search(m.group(2))
                    if url and url.group(1) in allowed:
                        continue
                    out.append(finding(PIPE, f"`{m.group(1)}` output is piped into `{m.group(5)}`: "
                                       "download, verify, then run", ins.span))
            if ins.keyword == "ADD":
                remote = [a for a in ins.args if a.startswith(("http://", "https://"))]
                has_checksum = any(f.name == "checksum" for f in ins.flags)
                if remote and not has_checksum:
                    out.append(finding(ADD_URL, f"`ADD {remote[0]}` without --checksum", ins.span))
        return out
