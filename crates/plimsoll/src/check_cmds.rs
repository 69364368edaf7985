//! The smaller commands: `rules`, `explain`, `plugin list`, `config-schema`,
//! `debug parse`.

use std::io::Write;
use std::path::PathBuf;

use plimsoll_config::LoadedConfig;
use plimsoll_report::RuleInfo;

use crate::cli::{GlobalArgs, ListFormat as Format, RulesArgs};
use crate::{ExitCode, UsageError, check, plugins};

fn all_rules(
    global: &GlobalArgs,
) -> anyhow::Result<(Vec<RuleInfo>, Vec<plimsoll_report::RunError>)> {
    let cwd = std::env::current_dir()?;
    let cfg = LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    let (engine, errors) = check::engine(global, &cfg, &check::EngineOptions::default())?;
    let mut rules: Vec<RuleInfo> = engine.rules.into_values().collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok((rules, errors))
}

fn print_errors(errors: &[plimsoll_report::RunError]) -> ExitCode {
    for e in errors {
        crate::diag!("error: {}: {}", e.kind, e.message);
    }
    if errors.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::CheckFailed
    }
}

pub fn rules(global: &GlobalArgs, args: &RulesArgs) -> anyhow::Result<ExitCode> {
    let (rules, errors) = all_rules(global)?;
    let mut out = crate::output::Guarded::stdout();
    match args.format {
        Format::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&rules)?)?;
        }
        Format::Human => {
            writeln!(
                out,
                "{:<8} {:<8} {:<12} {:<34} SUMMARY",
                "ID", "LEVEL", "PLUGIN", "ALSO (hadolint / Trivy / Checkov)"
            )?;
            for r in &rules {
                writeln!(
                    out,
                    "{:<8} {:<8} {:<12} {:<34} {}",
                    r.id,
                    r.default_level.as_str(),
                    r.plugin,
                    r.aliases.join(" "),
                    r.summary
                )?;
            }
            writeln!(
                out,
                "\n{} rules. `plimsoll explain ID` shows a rule's documentation.",
                rules.len()
            )?;
        }
    }
    Ok(print_errors(&errors))
}

pub fn explain(global: &GlobalArgs, wanted: &str) -> anyhow::Result<ExitCode> {
    let (rules, errors) = all_rules(global)?;
    let found: Vec<&RuleInfo> = rules
        .iter()
        .filter(|r| {
            r.id.eq_ignore_ascii_case(wanted)
                || r.name == wanted
                || r.aliases.iter().any(|a| a.eq_ignore_ascii_case(wanted))
        })
        .collect();
    if found.is_empty() {
        print_errors(&errors);
        return Err(UsageError(format!("no rule `{wanted}`; `plimsoll rules` lists them")).into());
    }
    let mut out = crate::output::Guarded::stdout();
    for r in found {
        writeln!(out, "# {} {} ({})\n", r.id, r.name, r.plugin)?;
        writeln!(out, "{}\n", r.summary)?;
        writeln!(
            out,
            "Default level: {}. Added in rule set {}.",
            r.default_level, r.added_in
        )?;
        if !r.aliases.is_empty() {
            writeln!(out, "Covers: {}.", r.aliases.join(", "))?;
        }
        writeln!(out, "\n{}", r.docs.trim_end())?;
        writeln!(out)?;
    }
    Ok(print_errors(&errors))
}

pub fn plugin_list(global: &GlobalArgs, format: Format) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let cfg = LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    let host = check::new_host(global, None, 0)?;
    let registry =
        crate::registry::RegistryServices::new(crate::registry::options(global, &cfg), false);
    let (specs, mut errors) = plugins::specs(&cfg, &registry, None, None, false);
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

pub fn migrate_hadolint(file: Option<&std::path::Path>, write: bool) -> anyhow::Result<ExitCode> {
    let path = match file {
        Some(p) => p.to_path_buf(),
        None => {
            let cwd = std::env::current_dir()?;
            cwd.ancestors()
                .flat_map(|d| {
                    plimsoll_config::hadolint::HADOLINT_FILE_NAMES
                        .iter()
                        .map(move |n| d.join(n))
                })
                .find(|p| p.is_file())
                .ok_or_else(|| {
                    UsageError("no .hadolint.yaml found here or above; name the file".into())
                })?
        }
    };
    let yaml = std::fs::read_to_string(&path)
        .map_err(|e| UsageError(format!("cannot read {}: {e}", path.display())))?;
    let (toml_text, notes) = plimsoll_config::hadolint::translate(&yaml)
        .map_err(|e| UsageError(format!("{}: {e}", path.display())))?;
    for n in &notes {
        crate::diag!("note: {n}");
    }
    if write {
        let dest = path
            .parent()
            .unwrap_or(std::path::Path::new("."))
            .join("plimsoll.toml");
        if dest.exists() {
            return Err(UsageError(format!(
                "{} already exists; not overwriting it",
                dest.display()
            ))
            .into());
        }
        std::fs::write(&dest, &toml_text)?;
        crate::diag!("wrote {}", dest.display());
    } else {
        print!("{toml_text}");
    }
    Ok(ExitCode::Ok)
}

pub fn config_schema() -> anyhow::Result<ExitCode> {
    println!(
        "{}",
        serde_json::to_string_pretty(&plimsoll_config::json_schema())?
    );
    Ok(ExitCode::Ok)
}

pub fn debug_parse(files: &[PathBuf], format: Format) -> anyhow::Result<ExitCode> {
    let mut failed = false;
    let mut out = crate::output::Guarded::stdout();
    for f in files {
        let shown = f.display().to_string();
        let bytes =
            std::fs::read(f).map_err(|e| UsageError(format!("cannot read {shown}: {e}")))?;
        let parsed = plimsoll_dockerfile::Dockerfile::parse_bytes(&bytes);
        failed |= parsed.is_err();
        match format {
            Format::Json => writeln!(
                out,
                "{}",
                plimsoll_dockerfile::to_buildkit_json(&shown, &parsed)
            )?,
            Format::Human => match &parsed {
                Err(e) => writeln!(out, "{shown}: error: {e}")?,
                Ok(df) => {
                    writeln!(
                        out,
                        "{shown}: {} instructions, {} stages, escape {:?}",
                        df.instructions.len(),
                        df.stages.len(),
                        df.escape
                    )?;
                    for d in &df.directives {
                        writeln!(out, "  directive {}={}", d.name, d.value)?;
                    }
                    for i in &df.instructions {
                        let flags: Vec<&str> = i.flags.iter().map(|f| f.raw.as_str()).collect();
                        writeln!(
                            out,
                            "  {:>4}-{:<4} {} {}{:?}{}{}",
                            i.start_line,
                            i.end_line,
                            i.keyword,
                            if flags.is_empty() {
                                String::new()
                            } else {
                                format!("{flags:?} ")
                            },
                            i.args,
                            if i.json { " (json)" } else { "" },
                            if i.heredocs.is_empty() {
                                String::new()
                            } else {
                                format!(
                                    " heredocs={:?}",
                                    i.heredocs.iter().map(|h| &h.name).collect::<Vec<_>>()
                                )
                            }
                        )?;
                    }
                    for s in &df.stages {
                        writeln!(
                            out,
                            "  stage {} {:?} base={} (as written {})",
                            s.index, s.name, s.base, s.base_as_written
                        )?;
                    }
                }
            },
        }
    }
    Ok(if failed {
        ExitCode::Findings
    } else {
        ExitCode::Ok
    })
}
