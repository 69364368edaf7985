//! The local vulnerability database (OSV data) that the scan plugin queries
//! through the `vulnerabilities` capability: where it lives, downloading an
//! ecosystem, and how a run reaches it ([`RunDb`]): like Trivy and Grype,
//! `check` downloads an ecosystem it needs when it is missing or stale
//! (only that ecosystem, once per run); `--skip-db-update` (air-gapped
//! runners that `db import`) and `--offline` never download.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use plimsoll_config::LoadedConfig;
use plimsoll_oci::Registry;
use plimsoll_vulndb::{Db, DbError, DbErrorKind, ImportStats, Vuln};

use crate::UsageError;
use crate::cli::GlobalArgs;

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

fn scan_key<'a>(cfg: &'a LoadedConfig, key: &str) -> Option<&'a toml::Value> {
    cfg.config.scan.as_ref().and_then(|t| t.get_ref().get(key))
}

/// The OSV mirror — `--source`, else `[scan] db-source`, else
/// `PLIMSOLL_DB_SOURCE`, else OSV's bucket — and whether the repository's
/// configuration chose it (`[scan] db-source`) rather than whoever runs
/// plimsoll.
pub(crate) fn source_and_chooser(cfg: &LoadedConfig, given: Option<&str>) -> (String, bool) {
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
    (s.trim_end_matches('/').to_string(), by_repository)
}

/// `[scan]` keys the host reads; the scan plugin never sees them.
pub const HOST_KEYS: &[&str] = &["db-max-age-days", "db-source", "skip-db-update"];

type FetchSlot = Arc<OnceLock<Result<(), String>>>;

/// How a run reaches vulnerability data.
pub struct RunDb {
    db: Db,
    /// Data older than this (seconds) is refreshed, or refused.
    max_age: Option<u64>,
    /// Download missing or stale ecosystems from this OSV mirror; `None`
    /// with `--skip-db-update` or `--offline`.
    update_from: Option<String>,
    /// The mirror this run names, and whether its repository's config chose
    /// it: data a repository's config chose is trusted only by runs that
    /// name the same mirror.
    source: String,
    source_by_repository: bool,
    /// `--offline`: any age will do (with a warning).
    any_age: bool,
    /// One download per OSV ecosystem (`Debian`) per run, shared by threads.
    fetched: Mutex<HashMap<String, FetchSlot>>,
    warned: Mutex<Vec<String>>,
}

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
    let (source, source_by_repository) = source_and_chooser(cfg, None);
    Some(RunDb {
        db: Db::new(dir),
        max_age: (days > 0).then(|| days as u64 * 86400),
        update_from: (images && !skip && !global.offline).then(|| source.clone()),
        source,
        source_by_repository,
        any_age: global.offline,
        fetched: Mutex::default(),
        warned: Mutex::default(),
    })
}

/// Downloads `<source>/<ecosystem>/all.zip` (progress on stderr when it is
/// a terminal) and imports it.
pub fn fetch(
    client: &Registry,
    db: &Db,
    source: &str,
    by_repository: bool,
    ecosystem: &str,
) -> Result<ImportStats, String> {
    // `Rocky Linux/all.zip`: the bucket's paths have spaces.
    let url = format!("{source}/{}/all.zip", ecosystem.replace(' ', "%20"));
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar.set_message(ecosystem.to_string());
    let progress = |done: u64, total: Option<u64>| {
        if let Some(t) = total {
            bar.set_length(t);
        }
        bar.set_position(done);
    };
    let bytes = client.download(&url, MAX_ARCHIVE, &progress).map_err(|e| {
        bar.abandon();
        e.to_string()
    })?;
    bar.finish_and_clear();
    let stats = db
        .import_zip_as(&bytes, &url, by_repository, now())
        .map_err(|e| e.to_string())?;
    report(&stats, &url);
    Ok(stats)
}

impl RunDb {
    /// Whether any vulnerability data is there to use.
    pub fn has_data(&self) -> bool {
        self.db.has_data()
    }

    /// The records of `package` in `ecosystem` (`Debian:12`), downloading
    /// the ecosystem first when it is missing or stale and updates are on.
    pub fn query<'c>(
        &self,
        client: impl FnOnce() -> Result<&'c Registry, String>,
        ecosystem: &str,
        package: &str,
    ) -> Result<Vec<Vuln>, DbError> {
        let max_age = if self.any_age { None } else { self.max_age };
        let err = match self.db.query(ecosystem, package, now(), max_age) {
            Ok(v) => match self.foreign(ecosystem) {
                None => {
                    if self.any_age {
                        self.warn_if_old(ecosystem);
                    }
                    return Ok(v);
                }
                Some(message) => DbError {
                    kind: DbErrorKind::Stale,
                    message,
                },
            },
            Err(e) if matches!(e.kind, DbErrorKind::Missing | DbErrorKind::Stale) => e,
            Err(e) => return Err(e),
        };
        let Some(source) = &self.update_from else {
            return Err(err);
        };
        let base = ecosystem.split(':').next().unwrap_or(ecosystem).to_string();
        let slot = self
            .fetched
            .lock()
            .unwrap()
            .entry(base.clone())
            .or_default()
            .clone();
        let fetched = slot.get_or_init(|| {
            let client = client()?;
            fetch(client, &self.db, source, self.source_by_repository, &base).map(|_| ())
        });
        if let Err(why) = fetched {
            return Err(DbError {
                kind: DbErrorKind::Missing,
                message: format!(
                    "{err}; downloading it failed: {why}. On a runner without access, `plimsoll db import FILE.zip` and --skip-db-update; `[scan] db-source` names a mirror"
                ),
            });
        }
        self.db.query(ecosystem, package, now(), max_age)
    }

    /// Why this run does not trust the data it has for `ecosystem`: it was
    /// downloaded from a mirror a repository's plimsoll.toml named (a pull
    /// request can name any), and this run does not name that mirror.
    fn foreign(&self, ecosystem: &str) -> Option<String> {
        let index = self.db.index(ecosystem).ok()?;
        let ours =
            self.source_by_repository && index.source.starts_with(&format!("{}/", self.source));
        (index.chosen_by_repository && !ours).then(|| {
            format!(
                "the vulnerability data for {ecosystem} was downloaded from {}, a mirror named by a repository's plimsoll.toml (`[scan] db-source`), and this run does not name it, so it does not trust that data; `plimsoll db update` replaces it from {}",
                index.source, self.source
            )
        })
    }

    fn warn_if_old(&self, ecosystem: &str) {
        let (Some(max), Ok(index)) = (self.max_age, self.db.index(ecosystem)) else {
            return;
        };
        let age = now().saturating_sub(index.imported);
        let mut warned = self.warned.lock().unwrap();
        if age > max && !warned.iter().any(|e| e == ecosystem) {
            warned.push(ecosystem.to_string());
            crate::diag!(
                "warning: --offline: the vulnerability data for {ecosystem} is {} days old; `plimsoll db update` refreshes it",
                age / 86400
            );
        }
    }
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

pub(crate) fn report(stats: &plimsoll_vulndb::ImportStats, from: &str) {
    let ecos: Vec<String> = stats
        .ecosystems
        .iter()
        .map(|(e, n)| format!("{e} ({n} packages)"))
        .collect();
    crate::diag!(
        "imported {} OSV records from {from}: {}",
        stats.records,
        ecos.join(", ")
    );
}
