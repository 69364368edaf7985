//! The local vulnerability database (OSV data) as the command line and
//! `[scan]` configure it: where it lives, which mirror, how old data may be.
//! The database a run queries is `plimsoll_services::RunDb`.

use std::path::PathBuf;

use plimsoll_config::LoadedConfig;
use plimsoll_services::vulnerabilities::DEFAULT_SOURCE;
use plimsoll_services::{DbOptions, RunDb, Source};

use crate::UsageError;
use crate::cli::GlobalArgs;

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

fn scan_key<'a>(cfg: &'a LoadedConfig, key: &str) -> Option<&'a toml::Value> {
    cfg.config.scan.as_ref().and_then(|t| t.get_ref().get(key))
}

/// The OSV mirror — `--source`, else `[scan] db-source`, else
/// `PLIMSOLL_DB_SOURCE`, else OSV's bucket — and whether the repository's
/// configuration chose it (`[scan] db-source`) rather than whoever runs
/// plimsoll.
pub(crate) fn mirror(cfg: &LoadedConfig, given: Option<&str>) -> Source {
    let configured = || scan_key(cfg, "db-source").and_then(|v| v.as_str().map(str::to_string));
    let (s, by_repository) = match given {
        Some(g) => (g.to_string(), false),
        None => match configured() {
            Some(c) => (c, true),
            None => (
                std::env::var("PLIMSOLL_DB_SOURCE")
                    .ok()
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| DEFAULT_SOURCE.to_string()),
                false,
            ),
        },
    };
    Source {
        url: s.trim_end_matches('/').to_string(),
        chosen_by_repository: by_repository,
    }
}

/// `[scan]` keys the host reads; the scan plugin never sees them.
pub const HOST_KEYS: &[&str] = &["db-max-age-days", "db-source", "skip-db-update"];

/// The run's database from the flags and `[scan]` (`db-max-age-days`,
/// default 7; `skip-db-update`; `db-source`). Only a run that checks
/// images (`--image`, `--sbom`) downloads: a Dockerfile check uses what is
/// there (the pin plugin's update advice) and never fetches.
pub fn open(global: &GlobalArgs, cfg: &LoadedConfig, images: bool) -> Option<RunDb> {
    let dir = db_dir(global).ok()?;
    let days = scan_key(cfg, "db-max-age-days")
        .and_then(|v| v.as_integer())
        .unwrap_or(7);
    let skip = global.skip_db_update
        || scan_key(cfg, "skip-db-update").and_then(|v| v.as_bool()) == Some(true);
    Some(RunDb::new(DbOptions {
        dir,
        max_age_days: days.max(0) as u64,
        source: mirror(cfg, None),
        update: images && !skip,
        offline: global.offline,
        notify: crate::output::eprint,
    }))
}
