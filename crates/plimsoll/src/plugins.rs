//! Which plugins a run loads: the built-ins, then `[[plugins]]` from the config,
//! each with its grants, limits and settings.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use plimsoll_config::LoadedConfig;
use plimsoll_host::{Host, Limits, Plugin, PluginFailure, PluginSource, PluginSpec};
use plimsoll_report::{Level, RuleInfo, RunError};

use plimsoll_services::RunServices;

/// Rules owned by the host itself (not by a plugin).
pub fn host_rules() -> Vec<RuleInfo> {
    vec![RuleInfo {
        id: "PL0001".into(),
        name: "dockerfile-syntax".into(),
        plugin: "plimsoll".into(),
        summary: "The Dockerfile does not parse (BuildKit would reject it)".into(),
        default_level: Level::Error,
        aliases: vec!["DL1000".into()],
        tags: vec!["syntax".into()],
        added_in: "2026.11".into(),
        docs: "## What it does\nReports a Dockerfile that BuildKit's parser rejects: no instructions, an \
unterminated heredoc, a JSON array with non-string items, `ENV` without a value, a repeated or \
invalid parser directive.\n\n## Why is this bad?\n`docker build` fails before running anything, and \
no other check can look at the file.\n\n## Example\n```dockerfile\nFROM alpine\nRUN <<EOF\necho never terminated\n```\n\n\
## Use instead\nClose the heredoc with its delimiter on a line of its own.\n\n## References\n- hadolint DL1000\n"
            .into(),
    }, RuleInfo {
        id: "PL0004".into(),
        name: "manifest-syntax".into(),
        plugin: "plimsoll".into(),
        summary: "A compose, Kubernetes, CI or devcontainer file does not parse".into(),
        default_level: Level::Error,
        aliases: vec![],
        tags: vec!["syntax".into()],
        added_in: "2026.12".into(),
        docs: "## What it does\nReports a manifest plimsoll reads for image references (a docker-compose \
file, a Kubernetes manifest, a GitHub Actions workflow, a GitLab CI file, a devcontainer.json) that is not \
valid YAML, or JSON with comments for devcontainer.json, at the place the parser stopped.\n\n\
## Why is this bad?\nThe tool that reads the file (`docker compose`, `kubectl`, the CI runner, the Dev \
Containers CLI) rejects it too, and none of its images can be checked.\n\n## Example\n```yaml\nservices:\n\
  web:\n    image: [nginx\n```\n\n## Use instead\nClose the flow sequence, or write the value plainly: \
`image: nginx:1.27`.\n\n## References\n- YAML 1.2; the Dev Containers JSON-with-comments format\n"
            .into(),
    }, RuleInfo {
        id: "PL0002".into(),
        name: "inline-ignore-disallowed".into(),
        plugin: "plimsoll".into(),
        summary: "An inline ignore comment where `inline-ignores = false`".into(),
        default_level: Level::Warning,
        aliases: vec!["DL1001".into()],
        tags: vec!["policy".into()],
        added_in: "2026.12".into(),
        docs: "## What it does\nWith `inline-ignores = false` in plimsoll.toml, reports every ignore comment \
in a Dockerfile (`# plimsoll: ignore=`, `# hadolint ignore=`, `# trivy:ignore:`, `# checkov:skip=`); \
none of them suppresses anything. Silent by default, when ignore comments apply.\n\n## Why is this bad?\n\
A team that reviews exceptions centrally (`ignore`, `per-file-ignores` in plimsoll.toml) does not want \
a Dockerfile to switch a check off for itself.\n\n## Example\n```dockerfile\n# hadolint ignore=DL3008\n\
RUN apt-get install -y curl\n```\n\n## Use instead\nPin the package, or add the exception to \
`per-file-ignores` in plimsoll.toml.\n\n## References\n- hadolint DL1001 (`disable-ignore-pragma`)\n"
            .into(),
    }, RuleInfo {
        id: "PL0003".into(),
        name: "unused-ignore".into(),
        plugin: "plimsoll".into(),
        summary: "An inline ignore that suppresses nothing".into(),
        default_level: Level::Note,
        aliases: vec![],
        tags: vec!["policy".into()],
        added_in: "2026.12".into(),
        docs: "## What it does\nReports each rule named in an ignore comment (`# plimsoll: ignore=`, \
`# hadolint ignore=`, `# trivy:ignore:`, `# checkov:skip=`) that suppressed no finding in this run, as \
ruff's RUF100 does. Only rules that ran are judged: a rule left out by `--select`, or a peer id no \
plimsoll rule implements (`SC2086`), is not reported.\n\n## Why is this bad?\nA stale ignore hides the \
next real finding of that rule on that line, and tells readers a problem exists that was fixed long ago.\n\n\
## Example\n```dockerfile\n# hadolint ignore=DL3008\nRUN apt-get install -y --no-install-recommends curl=7.88.1-10\n```\n\n\
## Use instead\nDelete the comment (or the rule id from it).\n\n## References\n- ruff RUF100\n"
            .into(),
    }]
}

/// A built-in left idle by this run: loaded only if a selector needs its
/// rules' metadata, never called.
fn inert_spec(
    b: &plimsoll_builtins::Builtin,
    capabilities: Vec<plimsoll_config::Capability>,
) -> PluginSpec {
    PluginSpec {
        name: b.name.to_string(),
        source: PluginSource::Builtin(b.wasm, b.sha256),
        sha256: None,
        capabilities,
        limits: Limits::default(),
        settings: serde_json::json!({}),
    }
}

/// Why a config entry could not become a plugin spec.
fn spec_error(name: &str, message: String) -> RunError {
    RunError {
        kind: "plugin-load".into(),
        plugin: Some(name.to_string()),
        target: None,
        message,
        line: None,
    }
}

/// The specs to load, in order: built-ins, then enabled config plugins.
/// `overrides` (`{"pin": {...}, "scan": {...}}`) are merged over a built-in's
/// table: what `plimsoll pin` and `check`'s flags set.
/// `only` restricts the run to these built-ins (and no config plugins).
/// `for_checking`: leave out built-ins that would report nothing with this
/// config (sign-verify without policies applied), so a run does not pay for
/// loading them; listing commands load everything.
pub fn specs(
    cfg: &LoadedConfig,
    services: &RunServices,
    overrides: Option<&serde_json::Value>,
    only: Option<&[&str]>,
    for_checking: bool,
) -> (Vec<PluginSpec>, Vec<RunError>) {
    let (specs, errors, _inert) = specs_with_inert(
        cfg,
        services,
        overrides,
        only,
        for_checking.then_some(false),
    );
    (specs, errors)
}

/// [`specs`], plus the built-ins left out as inert (their rules are still
/// valid selectors). `checking` is `Some(images)` for a checking run, with
/// `images` set when it checks `--image` targets (sign-verify policies then
/// apply whatever `check-base-images` and `check-manifest-images` say).
pub fn specs_with_inert(
    cfg: &LoadedConfig,
    services: &RunServices,
    overrides: Option<&serde_json::Value>,
    only: Option<&[&str]>,
    checking: Option<bool>,
) -> (Vec<PluginSpec>, Vec<RunError>, Vec<PluginSpec>) {
    let mut specs = Vec::new();
    let mut errors = Vec::new();
    let mut inert = Vec::new();
    let vulnerability_data = std::cell::OnceCell::new();
    for b in plimsoll_builtins::BUILTINS {
        if only.is_some_and(|o| !o.contains(&b.name)) {
            continue;
        }
        // Whether vulnerability data exists is asked once, and only for a
        // built-in that has a use for it (a directory listing).
        let data = !b.with_vulnerability_data.is_empty()
            && *vulnerability_data.get_or_init(|| services.has_vulnerability_data());
        let capabilities = b.grants(data);
        // A checking run without images or SBOMs never calls a built-in that
        // only checks images (scan): it is not loaded (its rules stay valid
        // selectors).
        if checking == Some(false) && !b.checks_dockerfiles {
            inert.push(inert_spec(b, capabilities));
            continue;
        }
        // Settings come from the built-in's own table (`[lint]`, `[pin]`...).
        let settings = match b.name {
            "lint" => LoadedConfig::table_json(cfg.config.lint.as_ref()),
            // `check`'s --min-cvss/--severity/--ignore-unfixed go over `[scan]`.
            "scan" => {
                let mut s = LoadedConfig::table_json(cfg.config.scan.as_ref());
                if let Some(obj) = s.as_object_mut() {
                    for key in crate::vulndb::HOST_KEYS {
                        obj.remove(*key);
                    }
                }
                if let Err(message) = inline_vex_files(&mut s, &cfg.base_dir()) {
                    errors.push(spec_error("scan", message));
                    continue;
                }
                if let (Some(obj), Some(serde_json::Value::Object(over))) =
                    (s.as_object_mut(), overrides.and_then(|o| o.get("scan")))
                {
                    obj.extend(over.clone());
                }
                if let Err(message) = read_ignore_file(&mut s, &cfg.base_dir()) {
                    errors.push(spec_error("scan", message));
                    continue;
                }
                s
            }
            "pin" => {
                let mut s = LoadedConfig::table_json(cfg.config.pin.as_ref());
                if let (Some(obj), Some(serde_json::Value::Object(over))) =
                    (s.as_object_mut(), overrides.and_then(|o| o.get("pin")))
                {
                    obj.extend(over.clone());
                }
                s
            }
            "sign-verify" => {
                let mut s = LoadedConfig::table_json(cfg.config.sign_verify.as_ref());
                // `check --key/--certificate-identity...`: one more policy.
                if let Some(extra) = overrides
                    .and_then(|o| o.get("sign-verify"))
                    .and_then(|o| o.get("policies"))
                    .and_then(|p| p.as_array())
                    && let Some(obj) = s.as_object_mut()
                {
                    let list = obj
                        .entry("policies")
                        .or_insert_with(|| serde_json::json!([]));
                    if let Some(list) = list.as_array_mut() {
                        list.extend(extra.iter().cloned());
                    }
                }
                let images = checking == Some(true);
                let on = |key: &str| s.get(key) == Some(&serde_json::Value::Bool(true));
                let applies = (images || on("check-base-images") || on("check-manifest-images"))
                    && s.get("policies")
                        .and_then(|p| p.as_array())
                        .is_some_and(|p| !p.is_empty());
                if checking.is_some() && !applies {
                    inert.push(inert_spec(b, capabilities));
                    continue;
                }
                if let Err(message) = inline_sign_verify_files(&mut s, &cfg.base_dir()) {
                    errors.push(spec_error("sign-verify", message));
                    continue;
                }
                s
            }
            _ => serde_json::json!({}),
        };
        specs.push(PluginSpec {
            name: b.name.to_string(),
            source: PluginSource::Builtin(b.wasm, b.sha256),
            sha256: None,
            capabilities,
            limits: Limits::default(),
            settings,
        });
    }
    let base = cfg.base_dir();
    let configured = cfg.config.plugins.iter().filter(|_| only.is_none());
    for entry in configured.filter(|p| p.enabled) {
        let name = entry.name.get_ref().clone();
        let src = entry.source.get_ref();
        let source = if let Some(reference) = src.strip_prefix("oci://") {
            match crate::plugin_oci::pull(services, reference, entry.signature.as_ref(), &base) {
                Ok(s) => s,
                Err(message) => {
                    errors.push(spec_error(&name, message));
                    continue;
                }
            }
        } else if entry.signature.is_some() {
            errors.push(spec_error(
                &name,
                format!("`signature` applies to plugins pulled from a registry (oci://...), not to the file `{src}`; pin the file with `sha256` instead"),
            ));
            continue;
        } else {
            let p = Path::new(src);
            PluginSource::File(if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            })
        };
        let mut limits = Limits::default();
        if let Some(t) = entry.limits.timeout_ms {
            limits.timeout = Duration::from_millis(t.max(1));
        }
        if let Some(t) = entry.limits.wall_timeout_ms {
            limits.wall_timeout = Duration::from_millis(t.max(1));
        }
        if let Some(n) = entry.limits.max_host_calls {
            limits.max_host_calls = n;
        }
        if let Some(m) = entry.limits.memory_mib {
            limits.memory_bytes = (m.max(1) as usize) << 20;
        }
        specs.push(PluginSpec {
            name,
            source,
            sha256: entry.sha256.clone(),
            capabilities: entry.granted(),
            limits,
            settings: LoadedConfig::table_json(entry.settings.as_ref()),
        });
    }
    (specs, errors, inert)
}

pub fn failure_to_error(f: &PluginFailure, target: Option<&str>) -> RunError {
    RunError {
        kind: f.kind.as_str().to_string(),
        plugin: Some(f.plugin.clone()),
        target: target.map(str::to_string),
        message: f.detailed(),
        line: None,
    }
}

/// Loads every spec; failures become run errors and the rest still run. Plugins
/// load in parallel (compiling a cold component is the slow part).
pub fn load(
    host: &Host,
    specs: &[PluginSpec],
    cfg: &LoadedConfig,
) -> (Vec<Arc<Plugin>>, Vec<RunError>) {
    let results: Vec<Result<Plugin, PluginFailure>> = std::thread::scope(|s| {
        let handles: Vec<_> = specs
            .iter()
            .map(|spec| s.spawn(|| host.load(spec)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(PluginFailure::new(
                        "host",
                        plimsoll_host::FailureKind::Host,
                        "plugin loader thread panicked",
                    ))
                })
            })
            .collect()
    });
    let mut plugins = Vec::new();
    let mut errors = Vec::new();
    let mut seen_rules = std::collections::HashMap::new();
    for (spec, r) in specs.iter().zip(results) {
        match r {
            Ok(p) => {
                if let Some(clash) = p.rules.iter().find_map(|r| {
                    seen_rules
                        .get(&r.id)
                        .map(|o: &String| (r.id.clone(), o.clone()))
                }) {
                    errors.push(spec_error(
                        &spec.name,
                        format!("declares rule `{}`, which plugin `{}` already declares; rule ids must be unique", clash.0, clash.1),
                    ));
                    continue;
                }
                for r in &p.rules {
                    seen_rules.insert(r.id.clone(), p.name.clone());
                }
                tracing::info!(
                    plugin = %p.name,
                    cache = ?p.cache,
                    ms = p.load_time.as_secs_f64() * 1000.0,
                    "loaded {} rules",
                    p.rules.len()
                );
                plugins.push(Arc::new(p));
            }
            Err(f) => {
                let mut e = failure_to_error(&f, None);
                if let Some(pointer) = &f.settings_pointer
                    && let Some((file, line)) = settings_location(cfg, &spec.name, pointer)
                {
                    e.message = format!("{file}:{line}: {}", e.message);
                    e.target = Some(file);
                    e.line = Some(line);
                }
                errors.push(e)
            }
        }
    }
    (plugins, errors)
}

/// Where in the config file a plugin's setting is: the line of the key the
/// JSON pointer's last named segment names, inside the plugin's settings
/// (`[[plugins]]` `settings`, or a built-in's own table such as `[lint]`),
/// else the line where those settings start.
pub fn settings_location(cfg: &LoadedConfig, plugin: &str, pointer: &str) -> Option<(String, u32)> {
    let path = cfg.path.as_ref()?;
    let text = cfg.text.as_str();
    let regions = match cfg
        .config
        .plugins
        .iter()
        .find(|p| p.name.get_ref() == plugin)
    {
        // A `[plugins.settings]` table's span is its header: look on to the
        // next table header.
        Some(entry) => {
            let span = match &entry.settings {
                Some(s) => s.span(),
                None => entry.name.span(),
            };
            let end = text[span.start..]
                .match_indices("\n[")
                .map(|(i, _)| span.start + i)
                .find(|&i| i >= span.end)
                .unwrap_or(text.len());
            std::iter::once(span.start..end).collect()
        }
        // A built-in's table and its sub-tables: `[sign-verify]`,
        // `[[sign-verify.policies]]`, `[[sign-verify.policies.authorities]]`.
        None => builtin_sections(text, plugin),
    };
    let start = regions.first()?.start;
    let key = pointer
        .split('/')
        .rfind(|s| !s.is_empty() && s.parse::<usize>().is_err())
        .map(|k| k.replace("~1", "/").replace("~0", "~"));
    let found = key.and_then(|k| {
        regions.iter().find_map(|r| {
            let within = &text[r.clone()];
            within
                .match_indices(k.as_str())
                .map(|(i, _)| i)
                .find(|&i| {
                    let after = within[i + k.len()..].trim_start_matches(['"', '\'', ' ', '\t']);
                    let before = within[..i].trim_end_matches(['"', '\'']);
                    after.starts_with('=')
                        && (before.is_empty() || before.ends_with([' ', '\t', '\n', '{', ',', '.']))
                })
                .map(|i| r.start + i)
        })
    });
    let (line, _) = plimsoll_config::line_col(text, found.unwrap_or(start));
    Some((display_config_path(path), line as u32))
}

/// Byte ranges of the sections whose table is `name` or below it.
fn builtin_sections(text: &str, name: &str) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    let mut current: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            if let Some(s) = current.take() {
                out.push(s..offset);
            }
            let table = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim();
            if table == name || table.starts_with(&format!("{name}.")) {
                current = Some(offset);
            }
        }
        offset += line.len();
    }
    if let Some(s) = current {
        out.push(s..text.len());
    }
    out
}

fn display_config_path(p: &Path) -> String {
    crate::discover::display_path(p)
}

/// `[scan] vex = ["vex/app.openvex.json"]`: the host reads the OpenVEX
/// documents (relative to the config file) and hands the plugin their JSON.
fn inline_vex_files(settings: &mut serde_json::Value, base: &Path) -> Result<(), String> {
    let Some(list) = settings.get_mut("vex").and_then(|v| v.as_array_mut()) else {
        return Ok(());
    };
    for item in list {
        let Some(path) = item.as_str() else { continue };
        let p = base.join(path);
        let text = std::fs::read_to_string(&p)
            .map_err(|e| format!("[scan] vex: cannot read {}: {e}", p.display()))?;
        *item = serde_json::from_str(&text)
            .map_err(|e| format!("[scan] vex: {} is not JSON: {e}", p.display()))?;
    }
    Ok(())
}

/// `[scan] ignore-file` (or `--ignorefile`): a Trivy `.trivyignore` — one
/// vulnerability id per line, `#` comments, an optional `exp:YYYY-MM-DD`
/// after the id — appended to `[[scan.ignore]]` as entries with that expiry.
fn read_ignore_file(settings: &mut serde_json::Value, base: &Path) -> Result<(), String> {
    let Some(obj) = settings.as_object_mut() else {
        return Ok(());
    };
    let Some(path) = obj.remove("ignore-file") else {
        return Ok(());
    };
    let path = path
        .as_str()
        .ok_or("[scan] ignore-file must be a path")?
        .to_string();
    let p = base.join(&path);
    let text = std::fs::read_to_string(&p)
        .map_err(|e| format!("[scan] ignore-file: cannot read {}: {e}", p.display()))?;
    let mut entries = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(id) = words.next() else { continue };
        let mut entry = serde_json::json!({
            "id": id,
            "reason": format!("{}:{}", p.display(), n + 1),
        });
        for w in words {
            match w.strip_prefix("exp:") {
                Some(date) => entry["until"] = date.into(),
                None => {
                    return Err(format!(
                        "{}:{}: `{w}` is not `exp:YYYY-MM-DD`",
                        p.display(),
                        n + 1
                    ));
                }
            }
        }
        entries.push(entry);
    }
    match obj
        .entry("ignore")
        .or_insert_with(|| serde_json::Value::Array(Vec::new()))
    {
        serde_json::Value::Array(list) => list.extend(entries),
        _ => return Err("[scan] ignore must be a list".into()),
    }
    Ok(())
}

/// Plugins cannot open files, so the host reads what `[sign-verify]` names
/// by path — `key` files (unless already inline PEM) and `trusted-root`
/// files (keyless, or a key authority's for Rekor bundles), relative to the
/// config file — and hands the plugin their contents.
fn inline_sign_verify_files(settings: &mut serde_json::Value, base: &Path) -> Result<(), String> {
    let Some(policies) = settings.get_mut("policies").and_then(|p| p.as_array_mut()) else {
        return Ok(());
    };
    for policy in policies {
        let name = policy["name"].as_str().unwrap_or("?").to_string();
        let Some(auths) = policy.get_mut("authorities").and_then(|a| a.as_array_mut()) else {
            continue;
        };
        for a in auths {
            let read = |path: &str, what: &str| -> Result<String, String> {
                let p = base.join(path);
                std::fs::read_to_string(&p).map_err(|e| {
                    format!(
                        "[sign-verify] policy `{name}`: cannot read {what} {}: {e}",
                        p.display()
                    )
                })
            };
            if let Some(k) = a.get("key").and_then(|k| k.as_str())
                && !k.contains("-----BEGIN")
            {
                let pem = read(k, "key")?;
                a["key"] = pem.into();
            }
            if let Some(root) = a
                .get("keyless")
                .and_then(|k| k.get("trusted-root"))
                .and_then(|r| r.as_str())
                && !root.trim_start().starts_with('{')
            {
                let json = read(root, "trusted root")?;
                a["keyless"]["trusted-root"] = json.into();
            }
            // A key authority's trusted root (for its Rekor bundles).
            if let Some(root) = a.get("trusted-root").and_then(|r| r.as_str())
                && !root.trim_start().starts_with('{')
            {
                let json = read(root, "trusted root")?;
                a["trusted-root"] = json.into();
            }
        }
    }
    Ok(())
}
