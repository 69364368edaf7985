"""{{name}}: a plimsoll plugin in Python. Base images must come from the
registries in `allowed-registries` (default `registry.corp.example`).

Build: sh build.sh            (componentize-py, from requirements.txt)
Test:  plimsoll plugin test {{crate}}.wasm
"""
import json

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import plugin
from wit_world.imports import types

RULE = types.Rule(
    id="{{prefix}}001",
    name="allowed-registry",
    summary="Base image is not from an allowed registry",
    default_level=types.Level.ERROR,
    aliases=[],
    docs="## What it does\nReports base images that do not come from one of the registries in "
    "`allowed-registries`.\n\n## Why is this bad?\nImages from elsewhere have not been scanned or "
    "mirrored by the platform team.\n",
    tags=["supply-chain"],
    added_in="2026.11",
)

SCHEMA = json.dumps({
    "type": "object",
    "additionalProperties": False,
    "properties": {"allowed-registries": {"type": "array", "items": {"type": "string"}}},
})


def allowed(settings: str) -> list:
    value = json.loads(settings or "{}").get("allowed-registries", ["registry.corp.example"])
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise Err(types.PluginError(message="`allowed-registries` must be a list of strings"))
    return value


class Plugin(exports.Plugin):
    def metadata(self) -> plugin.PluginInfo:
        return plugin.PluginInfo(
            name="{{name}}",
            version="0.1.0",
            description="Base images come from allowed registries",
            rules=[RULE],
            settings_schema=SCHEMA,
        )

    def validate_settings(self, settings: str) -> None:
        allowed(settings)


class DockerfileCheck(exports.DockerfileCheck):
    def check(self, doc, settings: str):
        registries = allowed(settings)
        findings = []
        for stage in doc.stages:
            if stage.base_stage is not None or stage.base == "scratch":
                continue
            if any(stage.base.startswith(r + "/") for r in registries):
                continue
            findings.append(types.Finding(
                rule_id=RULE.id,
                level=types.Level.ERROR,
                message=f"`{stage.base}` is not from {' or '.join(registries)}",
                location=types.Location_File(stage.base_span),
                fixes=[],
                security_severity=None,
                help_uri=None,
                properties=None,
            ))
        return findings
