//! The local vulnerability database (OSV data) that the scan plugin queries
//! through the `vulnerabilities` capability: downloading an ecosystem, and
//! how a run reaches it ([`RunDb`]): like Trivy and Grype,
//! `check` downloads an ecosystem it needs when it is missing or stale
//! (only that ecosystem, once per run); `--skip-db-update` (air-gapped
//! runners that `db import`) and `--offline` never download.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use plimsoll_host::{HostError, VulnerabilityService};
use plimsoll_oci::Registry;
use plimsoll_vulndb::{Db, DbError, DbErrorKind, ImportStats, Vuln};

use crate::registry::RegistryAccess;

/// Where OSV publishes: `<URL>/<Ecosystem>/all.zip`.
pub const DEFAULT_SOURCE: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// Ecosystems `db update` fetches by default.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &["Debian", "Alpine", "Ubuntu", "PyPI", "npm", "Go"];
/// Largest archive accepted (OSV's biggest, Debian, is ~100 MB).
const MAX_ARCHIVE: usize = 1 << 30;

/// An OSV mirror, and whether a repository's configuration chose it
/// (`[scan] db-source`) rather than whoever runs plimsoll: data a
/// repository's config chose is trusted only by runs that name the same
/// mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Without a trailing `/`.
    pub url: String,
    pub chosen_by_repository: bool,
}

/// How a run uses the database.
#[derive(Debug, Clone)]
pub struct DbOptions {
    /// The database directory.
    pub dir: PathBuf,
    /// Data older than this many days is refreshed, or refused; 0: any age.
    pub max_age_days: u64,
    /// The mirror this run names.
    pub source: Source,
    /// Download missing or stale ecosystems from `source` (off with
    /// `--skip-db-update`, `--offline`, and for runs that check no image).
    pub update: bool,
    /// `--offline`: any age will do (with a warning).
    pub offline: bool,
    /// Where messages for the user go (imports, old data under
    /// `--offline`).
    pub notify: fn(&str),
}

type FetchSlot = Arc<OnceLock<Result<(), String>>>;

/// How a run reaches vulnerability data.
pub struct RunDb {
    db: Db,
    /// Data older than this (seconds) is refreshed, or refused.
    max_age: Option<u64>,
    /// Download missing or stale ecosystems from the mirror.
    update: bool,
    source: Source,
    /// `--offline`: any age will do (with a warning).
    any_age: bool,
    notify: fn(&str),
    /// One download per OSV ecosystem (`Debian`) per run, shared by threads.
    fetched: Mutex<HashMap<String, FetchSlot>>,
    warned: Mutex<Vec<String>>,
}

/// Downloads `<source>/<ecosystem>/all.zip` (progress on stderr when it is
/// a terminal) and imports it.
pub fn fetch(
    client: &Registry,
    db: &Db,
    source: &Source,
    ecosystem: &str,
    notify: fn(&str),
) -> Result<ImportStats, String> {
    // `Rocky Linux/all.zip`: the bucket's paths have spaces.
    let url = format!("{}/{}/all.zip", source.url, ecosystem.replace(' ', "%20"));
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
        .import_zip_as(&bytes, &url, source.chosen_by_repository, now())
        .map_err(|e| e.to_string())?;
    notify(&report(&stats, &url));
    Ok(stats)
}

impl RunDb {
    pub fn new(options: DbOptions) -> RunDb {
        RunDb {
            db: Db::new(options.dir),
            max_age: (options.max_age_days > 0).then(|| options.max_age_days * 86400),
            update: options.update && !options.offline,
            source: options.source,
            any_age: options.offline,
            notify: options.notify,
            fetched: Mutex::default(),
            warned: Mutex::default(),
        }
    }

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
        if !self.update {
            return Err(err);
        }
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
            fetch(client, &self.db, &self.source, &base, self.notify).map(|_| ())
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
        let ours = self.source.chosen_by_repository
            && index.source.starts_with(&format!("{}/", self.source.url));
        (index.chosen_by_repository && !ours).then(|| {
            format!(
                "the vulnerability data for {ecosystem} was downloaded from {}, a mirror named by a repository's plimsoll.toml (`[scan] db-source`), and this run does not name it, so it does not trust that data; `plimsoll db update` replaces it from {}",
                index.source, self.source.url
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
            (self.notify)(&format!(
                "warning: --offline: the vulnerability data for {ecosystem} is {} days old; `plimsoll db update` refreshes it",
                age / 86400
            ));
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

/// What an import brought, for the user.
pub fn report(stats: &ImportStats, from: &str) -> String {
    let ecos: Vec<String> = stats
        .ecosystems
        .iter()
        .map(|(e, n)| format!("{e} ({n} packages)"))
        .collect();
    format!(
        "imported {} OSV records from {from}: {}",
        stats.records,
        ecos.join(", ")
    )
}

/// The `vulnerabilities` capability: the run's database, downloading what
/// it misses through the run's registry client.
pub(crate) struct VulnerabilityData {
    pub(crate) db: RunDb,
    pub(crate) registry: std::sync::Arc<RegistryAccess>,
}

impl VulnerabilityService for VulnerabilityData {
    fn vulnerabilities(&self, ecosystem: &str, package: &str) -> Result<Vec<Vuln>, HostError> {
        let client = || self.registry.client().as_ref().map_err(|e| e.to_string());
        self.db
            .query(client, ecosystem, package)
            .map_err(|e| match e.kind {
                DbErrorKind::Missing | DbErrorKind::Stale => HostError::NotFound(e.message),
                _ => HostError::Other(e.message),
            })
    }
}
