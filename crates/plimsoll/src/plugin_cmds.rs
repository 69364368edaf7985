//! `plimsoll plugin inspect | annotate`: what a plugin component is, and
//! its metadata embedded as a custom section.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{GlobalArgs, ListFormat as Format};
use crate::{ExitCode, UsageError, check};

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
        capabilities: plimsoll_host::CAPABILITIES
            .iter()
            .map(|c| c.to_string())
            .collect(),
        limits: plimsoll_host::Limits::default(),
        settings: serde_json::json!({}),
    }
}

pub fn plugin_inspect(
    global: &GlobalArgs,
    file: &std::path::Path,
    format: Format,
) -> anyhow::Result<ExitCode> {
    if !file.is_file() {
        return Err(UsageError(format!("{}: no such file", file.display())).into());
    }
    let host = check::new_host(global, None, 0)?;
    let p = match host.inspect(&inspection_spec(file)) {
        Ok(p) => p,
        Err(e) => {
            anstream::eprintln!("error: {}: {e}", file.display());
            return Ok(ExitCode::CheckFailed);
        }
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
            "checks": { "dockerfile": p.checks_dockerfiles, "image": p.checks_images },
            "annotated": p.annotated,
            "rules": p.rules,
            "settings_schema": schema,
        });
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &v)?;
        writeln!(out)?;
        return Ok(ExitCode::Ok);
    }
    let mut out = anstream::stdout().lock();
    writeln!(out, "{} {}  {}", p.declared_name, p.version, p.description)?;
    writeln!(out, "sha256:       {}", p.sha256)?;
    writeln!(
        out,
        "capabilities: {}",
        if capabilities.is_empty() {
            "none (needs nothing from the host)".to_string()
        } else {
            format!(
                "{} (grant in plimsoll.toml: capabilities = {:?})",
                capabilities.join(", "),
                capabilities
            )
        }
    )?;
    writeln!(out, "imports:      {}", p.imports.join(", "))?;
    let checks: Vec<&str> = [
        (p.checks_dockerfiles, "Dockerfiles (dockerfile-check)"),
        (p.checks_images, "images (image-check)"),
    ]
    .into_iter()
    .filter_map(|(yes, what)| yes.then_some(what))
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
    if !file.is_file() {
        return Err(UsageError(format!("{}: no such file", file.display())).into());
    }
    let host = check::new_host(global, None, 0)?;
    let p = match host.inspect(&inspection_spec(file)) {
        Ok(p) => p,
        Err(e) => {
            anstream::eprintln!("error: {}: {e}", file.display());
            return Ok(Err(ExitCode::CheckFailed));
        }
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
pub fn plugin_annotate(
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
    crate::fix::write_atomically(&out, &annotated)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    anstream::eprintln!(
        "annotated {} ({} {}, {} rules) -> {}",
        file.display(),
        p.declared_name,
        p.version,
        p.rules.len(),
        out.display()
    );
    Ok(ExitCode::Ok)
}
