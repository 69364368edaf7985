// Example in-house policy in JavaScript: never install the packages the
// security team has banned (default: telnet, ftp, netcat variants, rsh) —
// with apt-get/apt, apk, dnf/yum/microdnf, zypper or pip, in shell-form RUN
// and in heredoc bodies. Settings: `banned` (replaces the default list),
// `also-banned` (adds to it).
//
// Build: componentize-qjs -w ../../../wit -n dockerfile-plugin -j plugin.js --sync -o banned_packages.wasm
// Test:  plimsoll plugin test banned_packages.wasm fixtures

const RULE = {
  id: "CORP030",
  name: "banned-package",
  summary: "A banned package is installed",
  defaultLevel: "error",
  aliases: [],
  docs: "## What it does\nReports packages on the security team's banned list installed by a package manager in RUN.\n\n## Why is this bad?\nClear-text remote shells and file transfer have no place in a production image.\n",
  tags: ["security"],
  addedIn: "2026.11",
};

const DEFAULT = ["telnet", "telnetd", "ftp", "netcat", "netcat-traditional", "netcat-openbsd", "nc", "rsh-client", "rsh-server"];

const SCHEMA = JSON.stringify({
  type: "object",
  additionalProperties: false,
  properties: {
    banned: { type: "array", items: { type: "string" } },
    "also-banned": { type: "array", items: { type: "string" } },
  },
});

// Package-manager sub-commands that install, per tool.
const INSTALLERS = {
  "apt-get": ["install"], apt: ["install"], apk: ["add"], dnf: ["install"], yum: ["install"],
  microdnf: ["install"], zypper: ["install", "in"], pip: ["install"], pip3: ["install"],
};

function bannedList(settings) {
  const s = JSON.parse(settings || "{}");
  for (const k of ["banned", "also-banned"]) {
    if (s[k] !== undefined && !(Array.isArray(s[k]) && s[k].every((x) => typeof x === "string"))) {
      throw { message: `\`${k}\` must be a list of strings` };
    }
  }
  return (s.banned ?? DEFAULT).concat(s["also-banned"] ?? []);
}

// The packages one shell command installs: `apt-get install -y a b=1.2`.
function installed(words) {
  const tool = (words[0] || "").split("/").pop();
  const subs = INSTALLERS[tool];
  if (!subs) return [];
  const at = words.findIndex((w, i) => i > 0 && subs.includes(w));
  if (at < 0) return [];
  return words.slice(at + 1).filter((w) => !w.startsWith("-")).map((w) => w.split(/[=<>]/)[0]);
}

function commands(script) {
  return script
    .replace(/\\\n/g, " ")
    .split(/&&|\|\||;|\n|\|/)
    .map((c) => c.trim().split(/\s+/).filter((w) => w !== "sudo" && !/^[A-Z_]+=/.test(w)));
}

export const plugin = {
  metadata() {
    return {
      name: "banned-packages",
      version: "1.0.0",
      description: "Banned packages are never installed",
      rules: [RULE],
      settingsSchema: SCHEMA,
    };
  },
  validateSettings(settings) {
    bannedList(settings);
  },
};

export const dockerfileCheck = {
  check(doc, settings) {
    const banned = new Set(bannedList(settings));
    const findings = [];
    for (const ins of doc.instructions) {
      if (ins.keyword !== "RUN" || ins.jsonForm) continue;
      const script = ins.args.join(" ") + ins.heredocs.map((h) => "\n" + h.content).join("");
      const hits = new Set();
      for (const words of commands(script)) {
        for (const pkg of installed(words)) if (banned.has(pkg)) hits.add(pkg);
      }
      for (const pkg of hits) {
        findings.push({
          ruleId: RULE.id,
          level: "error",
          message: `installs banned package \`${pkg}\``,
          location: { tag: "file", val: ins.span },
          fixes: [],
          properties: JSON.stringify({ package: pkg }),
        });
      }
    }
    return findings;
  },
};
