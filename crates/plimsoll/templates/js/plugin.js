// {{name}}: a plimsoll plugin in JavaScript. Base images must come from the
// registries in `allowed-registries` (default `registry.corp.example`).
//
// Build: npm install && npm run build   (componentize-qjs, pinned in package.json)
// Test:  npm test                       (plimsoll plugin test, through plimsoll)
// WIT option<T> arrives as null or undefined for none: compare with `!= null`.

const RULE = {
  id: "{{prefix}}001",
  name: "allowed-registry",
  summary: "Base image is not from an allowed registry",
  defaultLevel: "error",
  aliases: [],
  docs: "## What it does\nReports base images that do not come from one of the registries in `allowed-registries`.\n\n## Why is this bad?\nImages from elsewhere have not been scanned or mirrored by the platform team.\n",
  tags: ["supply-chain"],
  addedIn: "2026.11",
};

const SCHEMA = JSON.stringify({
  type: "object",
  additionalProperties: false,
  properties: { "allowed-registries": { type: "array", items: { type: "string" } } },
});

function allowed(settings) {
  const value = JSON.parse(settings || "{}")["allowed-registries"] ?? ["registry.corp.example"];
  if (!Array.isArray(value) || !value.every((r) => typeof r === "string")) {
    // A thrown object with `message` is the WIT `plugin-error`.
    throw { message: "`allowed-registries` must be a list of strings" };
  }
  return value;
}

export const plugin = {
  metadata() {
    return {
      name: "{{name}}",
      version: "0.1.0",
      description: "Base images come from allowed registries",
      rules: [RULE],
      settingsSchema: SCHEMA,
    };
  },
  validateSettings(settings) {
    allowed(settings);
  },
};

export const dockerfileCheck = {
  check(doc, settings) {
    const registries = allowed(settings);
    const findings = [];
    for (const stage of doc.stages) {
      if (stage.baseStage != null || stage.base === "scratch") continue; // none is null or undefined
      if (registries.some((r) => stage.base.startsWith(r + "/"))) continue;
      findings.push({
        ruleId: RULE.id,
        level: "error",
        message: `\`${stage.base}\` is not from ${registries.join(" or ")}`,
        location: { tag: "file", val: stage.baseSpan },
        fixes: [],
      });
    }
    return findings;
  },
};
