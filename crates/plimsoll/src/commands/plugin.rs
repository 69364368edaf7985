//! `plimsoll plugin list | inspect | annotate | test | push` (`plugin new`
//! is `plugin_new.rs`): the plugins a run loads, what a component is, its
//! metadata embedded as a custom section, its fixtures run, and the
//! component published to an OCI registry (pulling is `plugin_oci.rs`).

use std::io::Write;
use std::path::{Path, PathBuf};

use plimsoll_config::LoadedConfig;
use plimsoll_oci::ImageRef;

use crate::cli::{GlobalArgs, ListFormat as Format};
use crate::output::print_errors;
use crate::plugin_oci::{OCI_MANIFEST, WASM_CONFIG, WASM_LAYER};
use crate::{ExitCode, UsageError, check, plugins};
use plimsoll_services::RunServices;

/// A spec that offers every capability, so that inspection shows what the
/// plugin imports instead of refusing it; nothing is called but its metadata.
fn inspection_spec(file: &Path) -> plimsoll_host::PluginSpec {
    let name = file
        .file_stem()
        .map(|s| s.to_string_lossy().replace('_', "-"))
        .unwrap_or_else(|| "plugin".into());
    plimsoll_host::PluginSpec {
        name,
        source: plimsoll_host::PluginSource::File(file.to_path_buf()),
        sha256: None,
        capabilities: plimsoll_host::Capability::ALL.to_vec(),
        limits: plimsoll_host::Limits::default(),
        settings: serde_json::json!({}),
    }
}

/// Loads `file` as `inspect` does (metadata only, every capability
/// offered); a load failure is reported here and becomes the inner `Err`.
fn inspected(
    global: &GlobalArgs,
    file: &Path,
) -> anyhow::Result<Result<plimsoll_host::Plugin, ExitCode>> {
    if !file.is_file() {
        return Err(UsageError(format!("{}: no such file", file.display())).into());
    }
    let host = check::new_host(global, plimsoll_host::Services::default(), 0)?;
    Ok(host.inspect(&inspection_spec(file)).map_err(|e| {
        crate::diag!("error: {}: {e}", file.display());
        ExitCode::CheckFailed
    }))
}

pub fn inspect(
    global: &GlobalArgs,
    file: &std::path::Path,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let p = match inspected(global, file)? {
        Ok(p) => p,
        Err(code) => return Ok(code),
    };
    let capabilities = p.capabilities();
    let schema = p
        .settings_schema
        .as_deref()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
    if format == Format::Json {
        let v = serde_json::json!({
            "name": p.declared_name,
            "version": p.version,
            "description": p.description,
            "sha256": p.sha256,
            "size": std::fs::metadata(file).map(|m| m.len()).unwrap_or(0),
            "imports": p.imports,
            "capabilities": capabilities,
            "checks": {
                "dockerfile": p.checks_dockerfiles,
                "dockerfile_input": p.dockerfile_input(),
                "image": p.checks_images,
            },
            "annotated": p.annotated,
            "rules": p.rules,
            "settings_schema": schema,
        });
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(ExitCode::Ok);
    }
    let mut out = crate::output::Guarded::stdout();
    writeln!(out, "{} {}  {}", p.declared_name, p.version, p.description)?;
    writeln!(out, "sha256:       {}", p.sha256)?;
    writeln!(
        out,
        "capabilities: {}",
        if capabilities.is_empty() {
            "none (needs nothing from the host)".to_string()
        } else {
            let names: Vec<&str> = capabilities.iter().map(|c| c.as_str()).collect();
            format!(
                "{} (grant in plimsoll.toml: capabilities = {names:?})",
                names.join(", ")
            )
        }
    )?;
    writeln!(out, "imports:      {}", p.imports.join(", "))?;
    let dockerfiles = match p.dockerfile_input() {
        Some("text") => Some("Dockerfiles as text (dockerfile-text-check)"),
        Some(_) => Some("Dockerfiles as parsed records (dockerfile-check)"),
        None => None,
    };
    let checks: Vec<&str> = [
        dockerfiles,
        p.checks_images.then_some("images (image-check)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    writeln!(out, "checks:       {}", checks.join(", "))?;
    writeln!(
        out,
        "metadata:     {}",
        if p.annotated {
            "embedded (dev.plimsoll.metadata section, matches the plugin)"
        } else {
            "not embedded (`plimsoll plugin annotate` adds it)"
        }
    )?;
    writeln!(out, "rules:")?;
    for r in &p.rules {
        writeln!(
            out,
            "  {:<10} {:<8} {}",
            r.id,
            r.default_level.as_str(),
            r.summary
        )?;
    }
    match &schema {
        Some(s) => writeln!(
            out,
            "settings schema:\n{}",
            serde_json::to_string_pretty(s)?
        )?,
        None => writeln!(out, "settings: none")?,
    }
    Ok(ExitCode::Ok)
}

/// Loads `file` for inspection and returns it with its bytes annotated (an
/// already annotated file is checked by the load and left as it is). The
/// inner `Err` is the exit code after a load failure was reported.
pub fn annotated(
    global: &GlobalArgs,
    file: &Path,
) -> anyhow::Result<Result<(plimsoll_host::Plugin, Vec<u8>), ExitCode>> {
    let p = match inspected(global, file)? {
        Ok(p) => p,
        Err(code) => return Ok(Err(code)),
    };
    let bytes = std::fs::read(file)?;
    let bytes = if p.annotated {
        bytes
    } else {
        plimsoll_host::metadata::annotate(&bytes, &p.metadata())
    };
    Ok(Ok((p, bytes)))
}

/// `plimsoll plugin annotate FILE [-o OUT]`: asks the plugin for its
/// metadata (as `inspect` does) and embeds it as a `dev.plimsoll.metadata`
/// custom section, written atomically.
pub fn annotate(
    global: &GlobalArgs,
    file: &Path,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let (p, annotated) = match annotated(global, file)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let out: PathBuf = output
        .map(Path::to_path_buf)
        .unwrap_or_else(|| file.to_path_buf());
    plimsoll_fs::AtomicWrite::user_file()
        .write(&out, &annotated)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    crate::diag!(
        "annotated {} ({} {}, {} rules) -> {}",
        file.display(),
        p.declared_name,
        p.version,
        p.rules.len(),
        out.display()
    );
    Ok(ExitCode::Ok)
}

/// What a fixture expects: (line, rule id) pairs from `# expect: RULE...`
/// comments (each applies to the next instruction line), and its settings
/// from a leading `# settings: {json}` comment.
#[derive(Debug, Default, PartialEq)]
pub struct Expectations {
    /// (line, rule) → how many findings.
    pub expected: std::collections::BTreeMap<(u32, String), usize>,
    pub settings: Option<serde_json::Value>,
}

pub fn expectations(text: &str) -> Result<Expectations, String> {
    let mut out = Expectations::default();
    let mut pending: Vec<(usize, String)> = Vec::new();
    let mut seen_instruction = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(c) = t.strip_prefix('#') {
            let c = c.trim();
            if let Some(rules) = c.strip_prefix("expect:") {
                pending.extend(
                    rules
                        .split([' ', ','])
                        .filter(|r| !r.is_empty())
                        .map(|r| (i + 1, r.to_string())),
                );
            } else if let Some(json) = c.strip_prefix("settings:") {
                if seen_instruction {
                    return Err(format!(
                        "line {}: `# settings:` must come before the first instruction",
                        i + 1
                    ));
                }
                out.settings = Some(
                    serde_json::from_str(json.trim())
                        .map_err(|e| format!("line {}: `# settings:` is not JSON: {e}", i + 1))?,
                );
            }
            continue;
        }
        if t.is_empty() {
            continue;
        }
        seen_instruction = true;
        for (_, rule) in pending.drain(..) {
            *out.expected.entry(((i + 1) as u32, rule)).or_default() += 1;
        }
    }
    if let Some((line, rule)) = pending.first() {
        return Err(format!(
            "line {line}: `# expect: {rule}` is not followed by an instruction"
        ));
    }
    Ok(out)
}

/// `plimsoll plugin test FILE [FIXTURE...]`: the plugin through the real
/// host on each fixture; its findings must be exactly what the fixture's
/// `# expect:` comments say.
pub fn test(
    global: &GlobalArgs,
    file: &Path,
    fixtures: &[PathBuf],
    settings: Option<&str>,
    grants: &[plimsoll_host::Capability],
) -> anyhow::Result<ExitCode> {
    if !file.is_file() {
        return Err(UsageError(format!("{}: no such file", file.display())).into());
    }
    let default_settings: serde_json::Value = match settings {
        Some(s) => serde_json::from_str(s)
            .map_err(|e| UsageError(format!("--settings is not JSON: {e}")))?,
        None => serde_json::json!({}),
    };
    let paths = if fixtures.is_empty() {
        vec![PathBuf::from("fixtures")]
    } else {
        fixtures.to_vec()
    };
    let none = crate::discover::exclude_set(&[]).map_err(|e| UsageError(e.to_string()))?;
    let files = crate::discover::discover(
        &paths,
        &none,
        Path::new("."),
        &mut crate::discover::Wanted::new(Some(vec![plimsoll_config::TargetKind::Dockerfile]), &[])
            .expect("no globs"),
    )
    .map_err(|e| UsageError(e.to_string()))?;
    if files.is_empty() {
        return Err(UsageError(format!(
            "no fixtures under {} (Dockerfile, *.Dockerfile, Dockerfile.*)",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    let cwd = std::env::current_dir()?;
    let cfg = plimsoll_config::LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    let services = RunServices::new(crate::registry::options(global, &cfg), false);
    let host = check::new_host(global, services.host_services(), files.len())?;
    let mut spec = inspection_spec(file);
    spec.capabilities = grants.to_vec();
    let mut loaded: std::collections::HashMap<String, plimsoll_host::Plugin> = Default::default();
    let mut failed = 0;
    let mut out = crate::output::Guarded::stdout();
    for f in &files {
        let shown = crate::discover::display_path(f);
        let text =
            std::fs::read_to_string(f).map_err(|e| anyhow::anyhow!("cannot read {shown}: {e}"))?;
        let exp = expectations(&text).map_err(|e| UsageError(format!("{shown}: {e}")))?;
        let settings = exp
            .settings
            .clone()
            .unwrap_or_else(|| default_settings.clone());
        let key = settings.to_string();
        if !loaded.contains_key(&key) {
            spec.settings = settings;
            match host.load(&spec) {
                Ok(p) => {
                    loaded.insert(key.clone(), p);
                }
                Err(e) => {
                    crate::diag!("error: {}: {}", file.display(), e.detailed());
                    return Ok(ExitCode::CheckFailed);
                }
            }
        }
        let plugin = &loaded[&key];
        let doc = match plimsoll_dockerfile::Dockerfile::parse(&text) {
            Ok(d) => d,
            Err(e) => {
                writeln!(out, "FAIL  {shown}\n      the fixture does not parse: {e}")?;
                failed += 1;
                continue;
            }
        };
        let findings = match host.check_dockerfile(plugin, &doc, &shown) {
            Ok(f) => f,
            Err(e) => {
                writeln!(out, "FAIL  {shown}\n      {}", e.detailed())?;
                failed += 1;
                continue;
            }
        };
        let mut got: std::collections::BTreeMap<(u32, String), Vec<&str>> = Default::default();
        for f in &findings {
            got.entry((f.location.start_line().unwrap_or(0), f.rule_id.clone()))
                .or_default()
                .push(&f.message);
        }
        let mut problems = Vec::new();
        for ((line, rule), want) in &exp.expected {
            let have = got.get(&(*line, rule.clone())).map_or(0, Vec::len);
            if have < *want {
                problems.push(format!("line {line}: expected {want} {rule}, got {have}"));
            }
        }
        for ((line, rule), messages) in &got {
            let want = exp
                .expected
                .get(&(*line, rule.clone()))
                .copied()
                .unwrap_or(0);
            for m in messages.iter().skip(want) {
                problems.push(format!("line {line}: unexpected {rule}: {m}"));
            }
        }
        if problems.is_empty() {
            let n: usize = exp.expected.values().sum();
            writeln!(out, "ok    {shown} ({n} expected)")?;
            continue;
        }
        failed += 1;
        writeln!(out, "FAIL  {shown}")?;
        for p in problems {
            writeln!(out, "      {p}")?;
        }
    }
    writeln!(
        out,
        "{} fixture{}, {failed} failed",
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    )?;
    Ok(if failed == 0 {
        ExitCode::Ok
    } else {
        ExitCode::Findings
    })
}

pub fn list(global: &GlobalArgs, format: Format) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let cfg = LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    let host = check::new_host(global, plimsoll_host::Services::default(), 0)?;
    let services = RunServices::new(crate::registry::options(global, &cfg), false);
    let (specs, mut errors) = plugins::specs(&cfg, &services, None, None, false);
    let (loaded, load_errors) = plugins::load(&host, &specs, &cfg);
    errors.extend(load_errors);
    if format == Format::Json {
        let list: Vec<serde_json::Value> = loaded
            .iter()
            .map(|p| {
                let schema = p
                    .settings_schema
                    .as_deref()
                    .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok());
                serde_json::json!({
                    "name": p.name,
                    "version": p.version,
                    "description": p.description,
                    "source": p.source,
                    "sha256": p.sha256,
                    "imports": p.imports,
                    "rules": p.rules.iter().map(|r| &r.id).collect::<Vec<_>>(),
                    "settings_schema": schema,
                })
            })
            .collect();
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
        return Ok(print_errors(&errors));
    }
    let mut out = crate::output::Guarded::stdout();
    writeln!(
        out,
        "{:<16} {:<9} {:<6} {:<40} IMPORTS (beyond WASI)",
        "NAME", "VERSION", "RULES", "SOURCE"
    )?;
    for p in &loaded {
        let imports: Vec<&str> = p
            .imports
            .iter()
            .filter(|i| !i.starts_with("wasi:"))
            .map(|s| s.as_str())
            .collect();
        writeln!(
            out,
            "{:<16} {:<9} {:<6} {:<40} {}",
            p.name,
            p.version,
            p.rules.len(),
            p.source,
            imports.join(", ")
        )?;
    }
    Ok(print_errors(&errors))
}

/// `plimsoll plugin push FILE REF`: annotates the component with its
/// metadata, uploads it as a wasm OCI artifact and prints the digest
/// reference to put in plimsoll.toml.
pub fn push(global: &GlobalArgs, file: &Path, reference: &str) -> anyhow::Result<ExitCode> {
    let reference = reference.strip_prefix("oci://").unwrap_or(reference);
    let r = ImageRef::parse(reference)
        .map_err(|e| UsageError(format!("`{reference}` is not an OCI reference: {e}")))?;
    if r.digest.is_some() {
        return Err(UsageError(format!(
            "`{reference}`: push to a tag (`registry/repo:1.0`); the digest is what you get back"
        ))
        .into());
    }
    let (plugin, annotated) = match annotated(global, file)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let meta = plugin.metadata();
    let cwd = std::env::current_dir()?;
    let cfg = LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    let services = RunServices::new(crate::registry::options(global, &cfg), true);
    let client = services
        .registry()
        .client()
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let repository = r.repository_name();
    let layer = client.push_blob(&repository, &annotated)?;
    let config = serde_json::json!({
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer],
        "component": {
            "imports": plugin.imports,
            "exports": meta.checks.iter().map(|c| format!("plimsoll:plugin/{c}-check@{}", meta.wit_version)).collect::<Vec<_>>(),
        },
    });
    let config = serde_json::to_vec(&config)?;
    let config_digest = client.push_blob(&repository, &config)?;
    let mut annotations = serde_json::Map::new();
    for (k, v) in [
        ("org.opencontainers.image.title", meta.name.clone()),
        ("org.opencontainers.image.version", meta.version.clone()),
        (
            "org.opencontainers.image.description",
            meta.description.clone(),
        ),
        ("dev.plimsoll.plugin.wit-version", meta.wit_version.clone()),
        (
            "dev.plimsoll.plugin.rules",
            meta.rules
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            "dev.plimsoll.plugin.capabilities",
            meta.capabilities.join(","),
        ),
    ] {
        annotations.insert(k.into(), v.into());
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": WASM_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [{
            "mediaType": WASM_LAYER,
            "digest": layer,
            "size": annotated.len(),
            "annotations": {"org.opencontainers.image.title": file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()},
        }],
        "annotations": annotations,
    });
    let body = serde_json::to_vec(&manifest)?;
    let digest = client.push_manifest(reference, &body, OCI_MANIFEST)?;
    let pinned = r.at_digest(&digest);
    crate::diag!(
        "pushed {} {} ({} rules, {} bytes) to {reference}",
        meta.name,
        meta.version,
        meta.rules.len(),
        annotated.len()
    );
    anstream::println!("oci://{pinned}");
    crate::diag!(
        "use it in plimsoll.toml:\n  [[plugins]]\n  name = \"{}\"\n  source = \"oci://{pinned}\"",
        meta.name
    );
    Ok(ExitCode::Ok)
}
