//! plimsoll's local vulnerability database, built from OSV data: the
//! per-ecosystem `all.zip` archives the OSV project publishes (one OSV JSON
//! record per file), imported into one index file per ecosystem.
//!
//! Storage, and why: one JSON file per OSV ecosystem (`Debian:12.json`),
//! mapping package name to the trimmed records that affect it (id, aliases,
//! summary, CVSS score and vector, ranges and versions for that package
//! only). A scan needs one or two ecosystems, and reading one trimmed file
//! with serde is fast enough (tens of ms) that neither an mmap format nor an
//! embedded database would pay for its complexity; files are replaced
//! atomically, so a failed update never leaves a half-written index, and
//! they can be inspected with any JSON tool. Scores given only as a CVSS
//! vector are computed at import (the `cvss` crate).

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// Why the database could not be used.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct DbError {
    pub kind: DbErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbErrorKind {
    /// No data for the ecosystem: `plimsoll db update` or `db import` first.
    Missing,
    /// The data is older than the configured maximum age.
    Stale,
    /// The archive or a record is not OSV data.
    Invalid,
    Io,
}

impl DbError {
    fn new(kind: DbErrorKind, message: impl Into<String>) -> DbError {
        DbError {
            kind,
            message: message.into(),
        }
    }
}

/// One OSV event of a range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`.
    #[serde(rename = "type")]
    pub kind: String,
    pub events: Vec<Event>,
}

/// A vulnerability as it affects one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vuln {
    pub id: String,
    #[serde(default)]
    /// The record's aliases and its `upstream` ids.
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub score: Option<f32>,
    #[serde(default)]
    pub vector: Option<String>,
    /// A distribution's own rating (`database_specific.severity`, Debian
    /// urgency), when the record has one.
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub ranges: Vec<Range>,
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub modified: Option<String>,
}

/// One ecosystem's index file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Index {
    pub ecosystem: String,
    /// Seconds since the epoch when it was imported.
    pub imported: u64,
    /// Where it came from (a URL or a file name).
    pub source: String,
    /// The source was named by a repository's configuration (`[scan]
    /// db-source` in plimsoll.toml), not by whoever runs plimsoll (`db
    /// update --source`, `db import`, `PLIMSOLL_DB_SOURCE`, the default).
    /// Such data is shared through the cache directory but only trusted by
    /// runs whose own configuration names the same source.
    #[serde(default)]
    pub chosen_by_repository: bool,
    pub packages: BTreeMap<String, Vec<Vuln>>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportStats {
    pub records: usize,
    /// Ecosystem → vulnerable packages.
    pub ecosystems: BTreeMap<String, usize>,
    pub skipped: usize,
}

/// OSV records as published (the fields plimsoll uses).
#[derive(Deserialize)]
struct OsvRecord {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    /// Schema 1.6: the ids this record derives from (Debian's
    /// `DEBIAN-CVE-2023-5363` and `DSA-...` name their CVEs here).
    #[serde(default)]
    upstream: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    affected: Vec<OsvAffected>,
    #[serde(default)]
    references: Vec<OsvReference>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct OsvAffected {
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Vec<Range>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    ecosystem_specific: Option<serde_json::Value>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct OsvReference {
    url: String,
}

/// How a package is looked up: PyPI names compare as PEP 503 normalises
/// them (`PyYAML`, `pyyaml` and `py_yaml` are one project), whatever the
/// record or the installed metadata spells; other ecosystems as written.
pub fn package_key(ecosystem: &str, name: &str) -> String {
    if ecosystem != "PyPI" {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A CVSS v3/v4 vector's base score.
pub fn score_of(vector: &str) -> Option<f32> {
    if vector.starts_with("CVSS:3") {
        let v: cvss::v3::Base = vector.parse().ok()?;
        Some(v.score().value() as f32)
    } else if vector.starts_with("CVSS:4") {
        let v: cvss::v4::Vector = vector.parse().ok()?;
        Some(v.score().value() as f32)
    } else {
        None
    }
}

fn severity_of(v: &Option<serde_json::Value>) -> Option<String> {
    let v = v.as_ref()?;
    v.get("severity")
        .or_else(|| v.get("urgency"))
        .and_then(|s| s.as_str())
        .map(str::to_string)
}

/// The file name of an ecosystem's index (`Debian:12` → `Debian_12.json`).
fn file_name(ecosystem: &str) -> String {
    let safe: String = ecosystem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.json")
}

/// The database directory and its loaded indexes.
pub struct Db {
    dir: PathBuf,
    loaded: Mutex<HashMap<String, Arc<Index>>>,
}

impl Db {
    pub fn new(dir: impl Into<PathBuf>) -> Db {
        Db {
            dir: dir.into(),
            loaded: Mutex::new(HashMap::new()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Imports an OSV zip (one record per `*.json` member); returns what it
    /// held. Each ecosystem found replaces its previous index.
    pub fn import_zip(&self, bytes: &[u8], source: &str, now: u64) -> Result<ImportStats, DbError> {
        self.import_zip_as(bytes, source, false, now)
    }

    /// [`Db::import_zip`], recording whether a repository's configuration
    /// chose `source` ([`Index::chosen_by_repository`]).
    pub fn import_zip_as(
        &self,
        bytes: &[u8],
        source: &str,
        chosen_by_repository: bool,
        now: u64,
    ) -> Result<ImportStats, DbError> {
        let invalid = |m: String| DbError::new(DbErrorKind::Invalid, m);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .map_err(|e| invalid(format!("{source} is not a zip archive: {e}")))?;
        let mut indexes: BTreeMap<String, Index> = BTreeMap::new();
        let mut stats = ImportStats::default();
        for i in 0..zip.len() {
            let mut f = zip
                .by_index(i)
                .map_err(|e| invalid(format!("{source}: member {i}: {e}")))?;
            if !f.name().ends_with(".json") || f.is_dir() {
                continue;
            }
            let name = f.name().to_string();
            let mut text = Vec::new();
            (&mut f)
                .take(64 << 20)
                .read_to_end(&mut text)
                .map_err(|e| invalid(format!("{source}: {name}: {e}")))?;
            let rec: OsvRecord = match serde_json::from_slice(&text) {
                Ok(r) => r,
                Err(e) => {
                    return Err(invalid(format!(
                        "{source}: {name} is not an OSV record: {e}"
                    )));
                }
            };
            stats.records += 1;
            if rec.withdrawn.is_some() {
                stats.skipped += 1;
                continue;
            }
            let top_vector = rec
                .severity
                .iter()
                .find(|s| s.kind.starts_with("CVSS_V"))
                .map(|s| s.score.clone());
            for a in &rec.affected {
                let Some(p) = &a.package else { continue };
                let vector = a
                    .severity
                    .iter()
                    .find(|s| s.kind.starts_with("CVSS_V"))
                    .map(|s| s.score.clone())
                    .or_else(|| top_vector.clone());
                let vuln = Vuln {
                    id: rec.id.clone(),
                    aliases: {
                        let mut a = rec.aliases.clone();
                        for u in &rec.upstream {
                            if !a.contains(u) && *u != rec.id {
                                a.push(u.clone());
                            }
                        }
                        a
                    },
                    summary: rec
                        .summary
                        .clone()
                        .or_else(|| {
                            rec.details
                                .as_ref()
                                .map(|d| d.lines().next().unwrap_or("").to_string())
                        })
                        .unwrap_or_default(),
                    score: vector.as_deref().and_then(score_of),
                    vector,
                    severity: severity_of(&a.ecosystem_specific)
                        .or_else(|| severity_of(&a.database_specific))
                        .or_else(|| severity_of(&rec.database_specific)),
                    ranges: a.ranges.clone(),
                    versions: a.versions.clone(),
                    references: rec
                        .references
                        .iter()
                        .take(5)
                        .map(|r| r.url.clone())
                        .collect(),
                    modified: rec.modified.clone(),
                };
                indexes
                    .entry(p.ecosystem.clone())
                    .or_insert_with(|| Index {
                        ecosystem: p.ecosystem.clone(),
                        imported: now,
                        source: source.to_string(),
                        chosen_by_repository,
                        packages: BTreeMap::new(),
                    })
                    .packages
                    .entry(package_key(&p.ecosystem, &p.name))
                    .or_default()
                    .push(vuln);
            }
        }
        if indexes.is_empty() {
            return Err(invalid(format!(
                "{source} holds no OSV records with affected packages"
            )));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| {
            DbError::new(
                DbErrorKind::Io,
                format!("cannot create {}: {e}", self.dir.display()),
            )
        })?;
        for (eco, index) in indexes {
            stats.ecosystems.insert(eco.clone(), index.packages.len());
            let path = self.dir.join(file_name(&eco));
            plimsoll_fs::AtomicWrite::new()
                .write_with(&path, |f| {
                    let mut w = std::io::BufWriter::new(f);
                    serde_json::to_writer(&mut w, &index)?;
                    std::io::Write::flush(&mut w)
                })
                .map_err(|e| DbError::new(DbErrorKind::Io, format!("{}: {e}", path.display())))?;
            self.loaded.lock().unwrap().remove(&eco);
        }
        Ok(stats)
    }

    /// The index of `ecosystem`, loaded once.
    pub fn index(&self, ecosystem: &str) -> Result<Arc<Index>, DbError> {
        if let Some(i) = self.loaded.lock().unwrap().get(ecosystem) {
            return Ok(i.clone());
        }
        let path = self.dir.join(file_name(ecosystem));
        let text = std::fs::read(&path).map_err(|_| {
            DbError::new(
                DbErrorKind::Missing,
                format!(
                    "no vulnerability data for {ecosystem} in {}: run `plimsoll db update` (or `plimsoll db import FILE.zip` on an air-gapped runner)",
                    self.dir.display()
                ),
            )
        })?;
        let index: Index = serde_json::from_slice(&text).map_err(|e| {
            DbError::new(
                DbErrorKind::Invalid,
                format!(
                    "{} is corrupt ({e}); run `plimsoll db update`",
                    path.display()
                ),
            )
        })?;
        let index = Arc::new(index);
        self.loaded
            .lock()
            .unwrap()
            .insert(ecosystem.to_string(), index.clone());
        Ok(index)
    }

    /// The records affecting `package` in `ecosystem`; an error when the
    /// ecosystem has no data or it is older than `max_age` seconds.
    pub fn query(
        &self,
        ecosystem: &str,
        package: &str,
        now: u64,
        max_age: Option<u64>,
    ) -> Result<Vec<Vuln>, DbError> {
        let index = self.index(ecosystem)?;
        if let Some(max) = max_age
            && now.saturating_sub(index.imported) > max
        {
            return Err(DbError::new(
                DbErrorKind::Stale,
                format!(
                    "the vulnerability data for {ecosystem} is {} days old (more than the {} allowed): run `plimsoll db update`",
                    now.saturating_sub(index.imported) / 86400,
                    max / 86400
                ),
            ));
        }
        // Indexes written before names were normalised keep them as written.
        Ok(index
            .packages
            .get(&package_key(ecosystem, package))
            .or_else(|| index.packages.get(package))
            .cloned()
            .unwrap_or_default())
    }

    /// Whether any ecosystem has data (without reading it).
    pub fn has_data(&self) -> bool {
        std::fs::read_dir(&self.dir).is_ok_and(|rd| {
            rd.flatten()
                .any(|e| e.path().extension().and_then(|x| x.to_str()) == Some("json"))
        })
    }

    /// Every ecosystem with data: (ecosystem, imported, packages, source).
    pub fn status(&self) -> Vec<(String, u64, usize, String)> {
        let mut out = Vec::new();
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return out;
        };
        for e in rd.flatten() {
            if e.path().extension().and_then(|x| x.to_str()) != Some("json") {
                continue;
            }
            if let Ok(text) = std::fs::read(e.path())
                && let Ok(i) = serde_json::from_slice::<Index>(&text)
            {
                out.push((i.ecosystem, i.imported, i.packages.len(), i.source));
            }
        }
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(records: &[serde_json::Value]) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        for (i, r) in records.iter().enumerate() {
            z.start_file(
                format!("r{i}.json"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            z.write_all(r.to_string().as_bytes()).unwrap();
        }
        z.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn pypi_names_compare_normalised_and_upstream_ids_are_aliases() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::new(dir.path());
        let rec = serde_json::json!({
            "id": "PYSEC-2021-142", "upstream": ["CVE-2020-14343"],
            "affected": [{"package": {"ecosystem": "PyPI", "name": "PyYAML"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "5.4"}]}]}]
        });
        db.import_zip(&zip_of(&[rec]), "test", 0).unwrap();
        for asked in ["pyyaml", "PyYAML", "PYYAML"] {
            let found = db.query("PyPI", asked, 0, None).unwrap();
            assert_eq!(found.len(), 1, "{asked}");
            assert_eq!(found[0].aliases, vec!["CVE-2020-14343"]);
        }
        assert_eq!(
            package_key("PyPI", "Zope.Interface"),
            package_key("PyPI", "zope_interface")
        );
        assert_eq!(package_key("PyPI", "zope--interface"), "zope-interface");
        assert_ne!(
            package_key("PyPI", "py_yaml"),
            package_key("PyPI", "pyyaml")
        );
        assert_eq!(
            package_key("npm", "React"),
            "React",
            "other ecosystems as written"
        );
    }
}
