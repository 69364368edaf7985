//! `plimsoll db update | import | status`: the local vulnerability database
//! (OSV data) that the scan plugin queries through the `vulnerabilities`
//! capability. Nothing downloads during `check`: updates are explicit, so CI
//! runs are reproducible and air-gapped runners import a file instead.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use plimsoll_config::LoadedConfig;
use plimsoll_vulndb::Db;

use crate::cli::GlobalArgs;
use crate::registry::RegistryServices;
use crate::{ExitCode, UsageError};

/// Where OSV publishes: `<URL>/<Ecosystem>/all.zip`.
pub const DEFAULT_SOURCE: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// Ecosystems `db update` fetches by default.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &["Debian", "Alpine", "Ubuntu", "PyPI", "npm", "Go"];
/// Largest archive accepted (OSV's biggest, Debian, is ~100 MB).
const MAX_ARCHIVE: usize = 1 << 30;

/// The database directory: `<cache>/vulndb`.
pub fn db_dir(global: &GlobalArgs) -> Result<PathBuf, UsageError> {
    if let Some(d) = &global.db_dir {
        return Ok(d.clone());
    }
    global
        .cache_root()
        .map(|c| c.join("vulndb"))
        .ok_or_else(|| UsageError("the vulnerability database lives in the cache directory; drop --no-cache or set --cache-dir".into()))
}

/// The database and its maximum age from `[scan] db-max-age-days`
/// (default 7), for a run's services.
pub fn open(global: &GlobalArgs, cfg: &LoadedConfig) -> Option<(Arc<Db>, Option<u64>)> {
    let dir = db_dir(global).ok()?;
    let days = cfg
        .config
        .scan
        .as_ref()
        .and_then(|t| t.get_ref().get("db-max-age-days"))
        .and_then(|v| v.as_integer())
        .unwrap_or(7);
    let max_age = (days > 0).then(|| days as u64 * 86400);
    Some((Arc::new(Db::new(dir)), max_age))
}

/// Now, or `PLIMSOLL_NOW` (seconds since the epoch) for reproducible runs.
pub fn now() -> u64 {
    std::env::var("PLIMSOLL_NOW")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        })
}

fn report(stats: &plimsoll_vulndb::ImportStats, from: &str) {
    let ecos: Vec<String> = stats
        .ecosystems
        .iter()
        .map(|(e, n)| format!("{e} ({n} packages)"))
        .collect();
    anstream::eprintln!(
        "imported {} OSV records from {from}: {}",
        stats.records,
        ecos.join(", ")
    );
}

pub fn import(global: &GlobalArgs, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let db = Db::new(db_dir(global)?);
    for f in files {
        let bytes = std::fs::read(f)
            .map_err(|e| UsageError(format!("cannot read {}: {e}", f.display())))?;
        match db.import_zip(&bytes, &f.display().to_string(), now()) {
            Ok(stats) => report(&stats, &f.display().to_string()),
            Err(e) => {
                anstream::eprintln!("error: {e}");
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
    let services = RegistryServices::new(crate::registry::options(global, &cfg), true);
    let client = services
        .client()
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let source = source.unwrap_or(DEFAULT_SOURCE).trim_end_matches('/');
    let wanted: Vec<String> = if ecosystems.is_empty() {
        DEFAULT_ECOSYSTEMS.iter().map(|e| e.to_string()).collect()
    } else {
        ecosystems.to_vec()
    };
    let mut failed = false;
    for eco in &wanted {
        let url = format!("{source}/{eco}/all.zip");
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(eco.to_string());
        let progress = |done: u64, total: Option<u64>| {
            if let Some(t) = total {
                bar.set_length(t);
            }
            bar.set_position(done);
        };
        let bytes = match client.download(&url, MAX_ARCHIVE, &progress) {
            Ok(b) => b,
            Err(e) => {
                bar.abandon();
                anstream::eprintln!("error: {eco}: {e}");
                failed = true;
                continue;
            }
        };
        bar.finish_and_clear();
        match db.import_zip(&bytes, &url, now()) {
            Ok(stats) => report(&stats, &url),
            Err(e) => {
                anstream::eprintln!("error: {eco}: {e}");
                failed = true;
            }
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
