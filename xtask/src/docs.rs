//! `cargo xtask docs [--plimsoll BIN] [--no-build]`: generates the pages that
//! come from the binary itself (one page per rule from the rules' own doc
//! comments, the configuration reference from plimsoll.toml's JSON Schema and
//! the plugins' settings schemas, the command-line reference from `--help`),
//! then builds the site with MkDocs (`mkdocs build --strict`, from the tools
//! venv) into target/site.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut bin = root.join("target/release/plimsoll");
    let mut build = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--plimsoll" => bin = PathBuf::from(it.next().context("--plimsoll needs a path")?),
            "--no-build" => build = false,
            other => bail!(
                "unknown argument {other}; usage: cargo xtask docs [--plimsoll BIN] [--no-build]"
            ),
        }
    }
    if !bin.exists() {
        bail!(
            "{} does not exist; build plimsoll first or pass --plimsoll",
            bin.display()
        );
    }
    let bin = std::fs::canonicalize(&bin)?;
    let docs = root.join("docs");
    let plimsoll = Plimsoll {
        bin,
        cache: root.join("target/docs-plugin-cache"),
    };

    let rules: Vec<Value> = serde_json::from_str(&plimsoll.run(&["rules", "--format", "json"])?)?;
    write_rules(&docs.join("rules"), &rules)?;
    let schema: Value = serde_json::from_str(&plimsoll.run(&["config-schema"])?)?;
    let plugins: Vec<Value> =
        serde_json::from_str(&plimsoll.run(&["plugin", "list", "--format", "json"])?)?;
    std::fs::write(
        docs.join("reference/configuration.md"),
        configuration(&schema, &plugins),
    )?;
    std::fs::write(docs.join("reference/cli.md"), cli_reference(&plimsoll)?)?;
    let differences = std::fs::read_to_string(root.join("tests/peer-differences.tsv"))?;
    std::fs::write(
        docs.join("reference/peer-differences.md"),
        peer_differences(&differences, &rules),
    )?;
    println!(
        "docs: {} rule pages, configuration and command-line reference generated",
        rules.len()
    );

    if build {
        let python = std::env::var("PLIMSOLL_TOOLS_PYTHON").unwrap_or_else(|_| "python3".into());
        let st = Command::new(&python)
            .args([
                "-m",
                "mkdocs",
                "build",
                "--strict",
                "--quiet",
                "--config-file",
            ])
            .arg(root.join("mkdocs.yml"))
            .status()
            .with_context(|| format!("cannot run {python} -m mkdocs"))?;
        if !st.success() {
            bail!(
                "mkdocs build --strict failed (is mkdocs installed in the tools venv? bash scripts/test installs it)"
            );
        }
        // Every finding's helpUri is DOCS_URL/rules/<ID>/: each must exist
        // in the site the docs workflow publishes.
        let site = root.join("target/site");
        let missing: Vec<&str> = rules
            .iter()
            .map(|r| s(r, "id"))
            .filter(|id| !site.join("rules").join(id).join("index.html").is_file())
            .collect();
        if !missing.is_empty() {
            bail!("no rule page for the helpUri of {}", missing.join(", "));
        }
        println!(
            "docs: site built in target/site, a page for each of the {} rules' helpUri",
            rules.len()
        );
    }
    Ok(())
}

/// docs/reference/peer-differences.md from tests/peer-differences.tsv (the list
/// the peer-conformance test holds the build to), grouped by the plimsoll rule
/// that claims each peer id.
fn peer_differences(tsv: &str, rules: &[Value]) -> String {
    let mut groups: std::collections::BTreeMap<String, Vec<(String, String, String)>> =
        Default::default();
    let mut total = 0;
    for line in tsv.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((case, reason)) = line.split_once('\t') else {
            continue;
        };
        // cases/<peer>/<PEER_ID>/<NNN>.Dockerfile
        let parts: Vec<&str> = case.split('/').collect();
        let (peer, id, n) = (parts[1], parts[2], parts[3].trim_end_matches(".Dockerfile"));
        let rule = rules
            .iter()
            .find(|r| {
                r["aliases"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(id)))
            })
            .map(|r| format!("{} ({})", s(r, "id"), s(r, "name")))
            .unwrap_or_else(|| "no rule".into());
        groups.entry(rule).or_default().push((
            format!("{peer} {id}"),
            n.to_string(),
            reason.to_string(),
        ));
        total += 1;
    }
    let mut out = String::from(
        "# Deliberate differences from the peers\n\n\
<!-- Generated by `cargo xtask docs` from tests/peer-differences.tsv. -->\n\n\
plimsoll's lint rules are held to the peers' own test suites: 992 cases from \
hadolint's specs, 227 from trivy-checks and 103 from Checkov (`../shared/peer-tests`). \
Every case passes, or is listed here with the reason plimsoll answers differently; \
the test suite fails on any other failure, and on a listed case that starts passing.\n\n\
Coming from hadolint: the shell rules (PL2101-PL2117) carry the ShellCheck ids they \
stand for (`SC2086`), so `--select SC2086`, `# hadolint ignore=SC2086` and `.hadolint.yaml` \
`ignored:` lists work as they did; ShellCheck ids no rule implements are accepted in \
ignore lists and named in one warning. Where those rules and ShellCheck disagree on real \
Dockerfiles, and why, is in [shell analysis](shell.md).\n\n",
    );
    let _ = writeln!(out, "{total} differences in all.\n");
    for (rule, cases) in groups {
        let _ = writeln!(out, "## {rule}\n");
        let _ = writeln!(out, "| peer case | reason |\n|---|---|");
        for (id, n, reason) in cases {
            let _ = writeln!(out, "| {id} #{n} | {} |", reason.replace('|', "\\|"));
        }
        out.push('\n');
    }
    out
}

struct Plimsoll {
    bin: PathBuf,
    cache: PathBuf,
}

impl Plimsoll {
    fn run(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(&self.bin)
            .args(args)
            .env("PLIMSOLL_CACHE_DIR", &self.cache)
            .env("NO_COLOR", "1")
            .env("COLUMNS", "100")
            .env_remove("PLIMSOLL_CONFIG")
            .current_dir(std::env::temp_dir())
            .output()?;
        if !out.status.success() {
            bail!(
                "plimsoll {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8(out.stdout)?)
    }
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn list(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The rule's docs use `## What it does` sections; a page has the rule as its
/// one `#` heading, so they stay at `##`.
fn write_rules(dir: &Path, rules: &[Value]) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    let mut index = String::from(
        "# Rules\n\nEvery rule plimsoll ships, with the hadolint (`DL`), Trivy (`DS`) and Checkov \
         (`CKV_DOCKER`) checks it covers. `--select` and `--ignore` accept any of these ids, \
         and `plimsoll explain ID` prints a rule's page in the terminal.\n\n\
         | rule | name | level | plugin | covers |\n|---|---|---|---|---|\n",
    );
    for r in rules {
        let id = s(r, "id");
        let aliases = list(&r["aliases"]);
        writeln!(
            index,
            "| [{id}]({id}.md) | {} | {} | {} | {} |",
            s(r, "name"),
            s(r, "default_level"),
            s(r, "plugin"),
            aliases.join(", ")
        )?;
        let mut page = format!("# {id}: {}\n\n{}\n\n", s(r, "name"), s(r, "summary"));
        writeln!(
            page,
            "| | |\n|---|---|\n| default level | {} |\n| plugin | {} |\n| covers | {} |\n| tags | {} |\n| since rule set | {} |\n",
            s(r, "default_level"),
            s(r, "plugin"),
            if aliases.is_empty() {
                "—".to_string()
            } else {
                aliases.join(", ")
            },
            list(&r["tags"]).join(", "),
            s(r, "added_in"),
        )?;
        page.push_str(s(r, "docs").trim());
        page.push('\n');
        std::fs::write(dir.join(format!("{id}.md")), page)?;
    }
    std::fs::write(dir.join("index.md"), index)?;
    Ok(())
}

fn configuration(schema: &Value, plugins: &[Value]) -> String {
    let mut out = String::from(
        "# Configuration\n\n`plimsoll.toml` or `.plimsoll.toml`, found from the working directory \
         upward, or `--config FILE`. Unknown keys are errors with their line, column and a \
         suggestion. This page is generated from the file's JSON Schema \
         (`plimsoll config-schema`), which editors such as VS Code (Even Better TOML, with a \
         `#:schema` comment) use for completion.\n\n## Top level\n\n",
    );
    properties_table(&mut out, schema, schema);
    for (key, def) in [("registry", "RegistryConfig"), ("plugins", "PluginEntry")] {
        let d = &schema["$defs"][def];
        let header = if key == "plugins" {
            "[[plugins]]"
        } else {
            "[registry]"
        };
        let _ = write!(out, "\n## `{header}`\n\n{}\n\n", desc(d));
        properties_table(&mut out, d, schema);
        if key == "plugins" {
            let limits = &schema["$defs"]["PluginLimits"];
            out.push_str("\n### `limits`\n\n");
            properties_table(&mut out, limits, schema);
        }
    }
    for p in plugins
        .iter()
        .filter(|p| s(p, "source").starts_with("built-in"))
    {
        let name = s(p, "name");
        let _ = write!(
            out,
            "\n## `[{name}]`\n\nSettings of the built-in `{name}` plugin ({}).\n\n",
            s(p, "description")
        );
        match p.get("settings_schema").filter(|v| !v.is_null()) {
            Some(sch) => {
                properties_table(&mut out, sch, sch);
                // The tables its keys refer to (a policy, an authority...).
                for (def, d) in sch["$defs"].as_object().into_iter().flatten() {
                    if d["properties"].is_object() {
                        let _ = write!(out, "\n### `{def}`\n\n{}\n\n", desc(d));
                        properties_table(&mut out, d, sch);
                    }
                }
            }
            None => out.push_str("No settings.\n"),
        }
    }
    out
}

fn desc(v: &Value) -> String {
    s(v, "description").replace('\n', " ")
}

fn type_of(v: &Value, root: &Value) -> String {
    if let Some(r) = v["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        let target = &root["$defs"][name];
        if let Some(e) = target["enum"].as_array() {
            return e
                .iter()
                .map(|x| format!("`{}`", x.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(" \\| ");
        }
        return name.to_string();
    }
    if let Some(any) = v["anyOf"].as_array() {
        let parts: Vec<String> = any
            .iter()
            .filter(|x| x["type"] != "null")
            .map(|x| type_of(x, root))
            .collect();
        return parts.join(" \\| ");
    }
    if let Some(e) = v["enum"].as_array() {
        return e
            .iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    let t = match &v["type"] {
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join(" or "),
        Value::String(t) => t.clone(),
        _ => "any".into(),
    };
    if t == "array" {
        return format!("array of {}", type_of(&v["items"], root));
    }
    t
}

fn properties_table(out: &mut String, obj: &Value, root: &Value) {
    let Some(props) = obj["properties"].as_object() else {
        out.push_str("(free-form table)\n");
        return;
    };
    out.push_str("| key | type | default | |\n|---|---|---|---|\n");
    for (k, v) in props {
        let default = match v.get("default") {
            None | Some(Value::Null) => String::new(),
            Some(d) => format!("`{d}`"),
        };
        let _ = writeln!(
            out,
            "| `{k}` | {} | {} | {} |",
            type_of(v, root),
            default.replace('|', "\\|"),
            desc(v).replace('|', "\\|")
        );
    }
}

fn cli_reference(p: &Plimsoll) -> anyhow::Result<String> {
    let mut out = String::from(
        "# Command line\n\nThe `--help` of every command, as the binary prints it. \
         `plimsoll manpage` prints the same as man pages; `plimsoll completions SHELL` \
         prints completions.\n",
    );
    let commands: &[&[&str]] = &[
        &[],
        &["check"],
        &["pin"],
        &["rules"],
        &["explain"],
        &["plugin", "list"],
        &["config-schema"],
        &["migrate", "hadolint"],
        &["debug", "parse"],
        &["completions"],
        &["manpage"],
    ];
    for c in commands {
        let mut args: Vec<&str> = c.to_vec();
        args.push("--help");
        let help = p.run(&args)?;
        let title = if c.is_empty() {
            "plimsoll".to_string()
        } else {
            format!("plimsoll {}", c.join(" "))
        };
        let _ = write!(out, "\n## `{title}`\n\n```text\n{}\n```\n", help.trim_end());
    }
    Ok(out)
}
