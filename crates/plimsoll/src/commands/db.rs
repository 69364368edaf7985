//! `plimsoll db update | import | status`: the local vulnerability
//! database (see `vulndb.rs` for where it lives and how a run uses it).

use std::io::Write;
use std::path::PathBuf;

use plimsoll_config::LoadedConfig;
use plimsoll_vulndb::Db;

use crate::cli::GlobalArgs;
use plimsoll_services::RunServices;
use plimsoll_services::vulnerabilities::{DEFAULT_ECOSYSTEMS, fetch, now, report};

use crate::vulndb::{db_dir, mirror};
use crate::{ExitCode, UsageError};

pub fn import(global: &GlobalArgs, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let db = Db::new(db_dir(global)?);
    for f in files {
        let bytes = std::fs::read(f)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", f.display())))?;
        match db.import_zip(&bytes, &f.display().to_string(), now()) {
            Ok(stats) => crate::output::eprint(&report(&stats, &f.display().to_string())),
            Err(e) => {
                crate::diag!("error: {e}");
                return Ok(ExitCode::CheckFailed);
            }
        }
    }
    Ok(ExitCode::Ok)
}

pub fn update(
    global: &GlobalArgs,
    source: Option<&str>,
    ecosystems: &[String],
) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let cfg = LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    let db = Db::new(db_dir(global)?);
    let services = RunServices::new(crate::registry::options(global, &cfg), true);
    let client = services
        .registry()
        .client()
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let source = mirror(&cfg, source);
    let wanted: Vec<String> = if ecosystems.is_empty() {
        DEFAULT_ECOSYSTEMS.iter().map(|e| e.to_string()).collect()
    } else {
        ecosystems.to_vec()
    };
    let mut failed = false;
    for eco in &wanted {
        if let Err(e) = fetch(client, &db, &source, eco, crate::output::eprint) {
            crate::diag!("error: {eco}: {e}");
            failed = true;
        }
    }
    Ok(if failed {
        ExitCode::CheckFailed
    } else {
        ExitCode::Ok
    })
}

pub fn status(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let dir = db_dir(global)?;
    let db = Db::new(&dir);
    let rows = db.status();
    let mut out = anstream::stdout().lock();
    if rows.is_empty() {
        writeln!(
            out,
            "no vulnerability data in {}: run `plimsoll db update` (or `plimsoll db import FILE.zip`)",
            dir.display()
        )?;
        return Ok(ExitCode::CheckFailed);
    }
    writeln!(
        out,
        "{:<24} {:>9} {:>10}  SOURCE",
        "ECOSYSTEM", "PACKAGES", "AGE (days)"
    )?;
    let now = now();
    for (eco, imported, packages, source) in rows {
        writeln!(
            out,
            "{eco:<24} {packages:>9} {:>10}  {source}",
            now.saturating_sub(imported) / 86400
        )?;
    }
    Ok(ExitCode::Ok)
}
