//! The whole-file layer of the result cache: what a run reported for each
//! file (after inline ignores and the selection), so that a re-run over
//! unchanged files neither parses them nor asks any plugin, nor opens a
//! cache entry per (plugin, file).
//!
//! One entry per run: its configuration (the plugins as the per-plugin
//! layer keys them, the selection, `inline-ignores`) and its list of
//! targets, holding the answer for each file: read once when the run
//! starts, written once when it ends when something changed. (Keyed by the
//! target list, a run over one file never reads the answers of a run over a
//! thousand; a run over another set of files is served by the per-plugin
//! layer.)
//! A file's answer is used when its path, its bytes and whether a
//! `[targets] kubernetes` glob names it are what they were, and the
//! registry still answers every question its plugins asked the same (the
//! per-plugin layer's transcripts, kept with it). Only answers the
//! per-plugin layer could keep are kept here: a file whose check had a run
//! error, or a plugin call that cannot be replayed, is checked again.
//!
//! The entry is MAC'd like the others (an edited or truncated one is
//! ignored and rewritten) and encoded with postcard: decoding ten thousand
//! findings from JSON cost a re-run of the corpus more than everything
//! else it does.

use std::collections::HashMap;
use std::sync::Mutex;

use plimsoll_host::{Host, Transcript};
use plimsoll_report::blocks::{BlockText, Blocks};
use plimsoll_report::{Finding, Fix, Level, Location, Region};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{EntryBytes, MacStore, ResultCache, hash_part, hash_plugin};

/// The whole-file layer for one run.
#[derive(Debug, Default)]
pub struct FileCache {
    store: MacStore,
    /// The entry's key (`None`: disabled).
    key: Option<String>,
    /// The entry as read when the run started (shared with the human
    /// blocks the report writes from it).
    raw: std::sync::Arc<EntryBytes>,
    /// Where in `raw` each file's answer is, by path, still encoded
    /// (decoded by the worker that checks the file), with the file's
    /// [`StatKey`] when it was answered.
    loaded: HashMap<String, (Option<[u8; 32]>, std::ops::Range<usize>)>,
    /// What this run checked afresh (or found changed), by path, encoded,
    /// with the file's [`StatKey`] before it was read.
    fresh: Mutex<HashMap<String, Encoded>>,
    /// Files answered from their bytes whose [`StatKey`] is not the one
    /// kept: kept with their answers when the entry is written anyway.
    restat: Mutex<HashMap<String, [u8; 32]>>,
}

/// A file's [`StatKey`] (when known) and its answer, encoded.
type Encoded = (Option<[u8; 32]>, Vec<u8>);

/// What identifies one file's answer besides the run configuration.
pub struct FileKey([u8; 32]);

/// What identifies a file's bytes without reading them (git's index
/// model): its path, whether a `kubernetes` glob names it, and its
/// metadata — device, inode, size, mode, modification and change times to
/// the nanosecond. Writing a file changes its change time, which no
/// program can set back: equal metadata means the bytes last read.
/// Metadata less than [`StatKey::SETTLED`] old is not used (a write in the
/// same tick of the file system's clock as the one before could leave it
/// unchanged), nor metadata from the future; there, the file is read and
/// its bytes compared.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StatKey([u8; 32]);

impl StatKey {
    pub const SETTLED: std::time::Duration = std::time::Duration::from_secs(2);

    /// The key of `path` with metadata `meta`, read at `now`. Off Unix
    /// there is no change time: `None`, and files are always read.
    pub fn of(
        path: &str,
        kubernetes: bool,
        meta: &std::fs::Metadata,
        now: std::time::SystemTime,
    ) -> Option<StatKey> {
        #[cfg(not(unix))]
        {
            let _ = (path, kubernetes, meta, now);
            None
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let nanos =
                |secs: i64, nsecs: i64| i128::from(secs) * 1_000_000_000 + i128::from(nsecs);
            let changed =
                nanos(meta.mtime(), meta.mtime_nsec()).max(nanos(meta.ctime(), meta.ctime_nsec()));
            let now = now.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos() as i128;
            if now - changed < Self::SETTLED.as_nanos() as i128 {
                return None;
            }
            let mut h = Sha256::new();
            hash_part(&mut h, path.as_bytes());
            h.update([kubernetes as u8]);
            for n in [meta.dev(), meta.ino(), meta.size(), u64::from(meta.mode())] {
                h.update(n.to_le_bytes());
            }
            for (secs, nsecs) in [
                (meta.mtime(), meta.mtime_nsec()),
                (meta.ctime(), meta.ctime_nsec()),
            ] {
                h.update(secs.to_le_bytes());
                h.update(nsecs.to_le_bytes());
            }
            Some(StatKey(h.finalize().into()))
        }
    }
}

/// How a file's answer is looked up.
pub enum Lookup<'a> {
    /// By the file's bytes; `stat`: its metadata's key, kept for the next
    /// run when it is not the one with the answer.
    Bytes(&'a FileKey, Option<StatKey>),
    /// By its metadata alone (the bytes not read).
    Stat(StatKey),
}

/// A file's cached answer, as the run uses it.
pub struct FileAnswer {
    pub findings: Vec<Finding>,
    pub suppressed: usize,
    /// The text as the run holds it, when it is not the file's bytes as
    /// UTF-8 (a byte-order mark, invalid UTF-8).
    pub text: Option<String>,
    /// The human report's blocks for these findings, when a run with human
    /// output rendered them.
    pub human: Option<Blocks>,
    /// The JSON document's elements for these findings, when a run with
    /// JSON output rendered them.
    pub json: Option<Blocks>,
}

/// The entry: its key and each file's [`Stored`], encoded (borrowed when
/// read: one pass over the bytes, no decoding of what the run never asks).
#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    key: &'a str,
    /// Each file's path, [`StatKey`] and [`Stored`].
    #[serde(borrow)]
    files: Vec<(&'a str, Option<[u8; 32]>, Bytes<'a>)>,
}

/// Where `part`, a slice borrowed from `whole` when it was decoded, lies
/// in it.
fn range_in(whole: &[u8], part: &[u8]) -> std::ops::Range<usize> {
    let at = part.as_ptr() as usize - whole.as_ptr() as usize;
    at..at + part.len()
}

/// Bytes encoded as bytes (serde encodes `[u8]` as a sequence of numbers,
/// one call per byte; postcard writes both alike).
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Bytes<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a [u8]>::deserialize(d).map(Bytes)
    }
}

#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    file: [u8; 32],
    findings: Vec<Compact>,
    suppressed: u64,
    text: Option<String>,
    /// The plugins' transcripts that asked the host anything, as JSON.
    asked: Vec<String>,
    /// Borrowed when read: a run writes them from the entry's bytes.
    #[serde(borrow)]
    human: Option<StoredBlocks<'a>>,
    #[serde(borrow)]
    json: Option<StoredBlocks<'a>>,
}

/// [`Blocks`] as the entry holds them.
#[derive(Serialize, Deserialize)]
struct StoredBlocks<'a> {
    tag: u8,
    findings: u64,
    #[serde(borrow)]
    text: Bytes<'a>,
}

impl<'a> From<&'a Blocks> for StoredBlocks<'a> {
    fn from(b: &'a Blocks) -> StoredBlocks<'a> {
        StoredBlocks {
            tag: b.tag,
            findings: b.findings as u64,
            text: Bytes(b.text.as_bytes()),
        }
    }
}

impl FileCache {
    /// The layer for a run of `plugins` (the ones that run), `selection`
    /// (its [`identity`](crate::select::Selection::identity)) and
    /// `inline_ignores` over `targets`; disabled with the per-plugin layer.
    pub fn new(
        results: &ResultCache,
        host: &Host,
        plugins: &[super::PluginIdentity],
        selection: &str,
        inline_ignores: bool,
        targets: &[String],
    ) -> FileCache {
        let Some(dir) = results.store.dir.as_ref() else {
            return FileCache::default();
        };
        let store = MacStore {
            dir: Some(dir.with_file_name("file-results")),
            domain: "file-results",
        };
        let mut h = Sha256::new();
        h.update(results.salt.as_bytes());
        h.update((plugins.len() as u64).to_le_bytes());
        for p in plugins {
            hash_plugin(&mut h, *p);
        }
        hash_part(&mut h, selection.as_bytes());
        h.update([inline_ignores as u8]);
        h.update((targets.len() as u64).to_le_bytes());
        for t in targets {
            hash_part(&mut h, t.as_bytes());
        }
        let key = hex::encode(h.finalize());
        let started = std::time::Instant::now();
        let (raw, start) = store.get_raw(host, &key).unwrap_or_default();
        let raw = std::sync::Arc::new(raw);
        let loaded: HashMap<String, (Option<[u8; 32]>, std::ops::Range<usize>)> =
            postcard::from_bytes::<Entry>(&raw[start.min(raw.len())..])
                .ok()
                .filter(|e| e.key == key)
                .map(|e| {
                    e.files
                        .into_iter()
                        .map(|(p, stat, b)| (p.to_string(), (stat, range_in(&raw, b.0))))
                        .collect()
                })
                .unwrap_or_default();
        tracing::info!(
            "whole-file result cache: {} files read in {:.1} ms",
            loaded.len(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        FileCache {
            store,
            key: Some(key),
            raw,
            loaded,
            fresh: Mutex::default(),
            restat: Mutex::default(),
        }
    }

    /// Whether the layer is on (`--no-result-cache`, `--no-cache`).
    pub fn enabled(&self) -> bool {
        self.key.is_some()
    }

    /// The [`StatKey`] of the file `path` with metadata `meta`, now.
    pub fn stat_key(
        &self,
        path: &str,
        kubernetes: bool,
        meta: &std::fs::Metadata,
    ) -> Option<StatKey> {
        self.enabled()
            .then(|| StatKey::of(path, kubernetes, meta, std::time::SystemTime::now()))
            .flatten()
    }

    /// The key of the file `path` holding `bytes`; `kubernetes`: a
    /// `[targets] kubernetes` glob names it.
    pub fn file_key(&self, path: &str, kubernetes: bool, bytes: &[u8]) -> Option<FileKey> {
        self.key.as_ref()?;
        let mut h = Sha256::new();
        hash_part(&mut h, path.as_bytes());
        h.update([kubernetes as u8]);
        h.update(bytes);
        Some(FileKey(h.finalize().into()))
    }

    /// The answer kept for `path`, when it was for the same file (its
    /// bytes, or its metadata) and the registry still answers its
    /// questions the same; with its human blocks when they were rendered
    /// with `human_tag`.
    pub fn get(
        &self,
        path: &str,
        lookup: Lookup,
        registry: &dyn plimsoll_host::RegistryService,
        human_tag: Option<u8>,
    ) -> Option<FileAnswer> {
        let (kept_stat, at) = self.loaded.get(path)?.clone();
        if let Lookup::Stat(stat) = lookup
            && kept_stat != Some(stat.0)
        {
            return None;
        }
        let stored: Stored = postcard::from_bytes(self.raw.get(at)?).ok()?;
        if let Lookup::Bytes(key, _) = lookup
            && stored.file != key.0
        {
            return None;
        }
        let holds = stored.asked.iter().all(|json| {
            serde_json::from_str::<Transcript>(json).is_ok_and(|t| t.still_holds(registry))
        });
        if !holds {
            return None;
        }
        if let Lookup::Bytes(_, Some(stat)) = lookup
            && kept_stat != Some(stat.0)
            && let Ok(mut restat) = self.restat.lock()
        {
            restat.insert(path.to_string(), stat.0);
        }
        let kept = |b: StoredBlocks| Blocks {
            tag: b.tag,
            findings: b.findings as usize,
            text: BlockText::shared(self.raw.clone(), range_in(&self.raw, b.text.0)),
        };
        Some(FileAnswer {
            findings: stored.findings.into_iter().map(Finding::from).collect(),
            suppressed: stored.suppressed as usize,
            text: stored.text,
            human: stored.human.filter(|b| Some(b.tag) == human_tag).map(kept),
            json: stored
                .json
                .filter(|b| b.tag == plimsoll_report::json::BLOCKS_TAG)
                .map(kept),
        })
    }

    /// Keeps the human blocks and JSON elements rendered for the answer
    /// `path` has (this run's or the one read), with it (each in place of
    /// the one it had).
    pub fn keep_blocks(&self, path: &str, human: Option<&Blocks>, json: Option<&Blocks>) {
        let Ok(mut fresh) = self.fresh.lock() else {
            return;
        };
        let (stat, encoded) = match fresh.get(path) {
            Some((stat, b)) => (*stat, b.clone()),
            None => match self
                .loaded
                .get(path)
                .and_then(|(stat, at)| Some((*stat, self.raw.get(at.clone())?)))
            {
                Some((stat, b)) => (stat, b.to_vec()),
                None => return,
            },
        };
        let Ok(mut stored) = postcard::from_bytes::<Stored>(&encoded) else {
            return;
        };
        if let Some(b) = human {
            stored.human = Some(StoredBlocks::from(b));
        }
        if let Some(b) = json {
            stored.json = Some(StoredBlocks::from(b));
        }
        if let Ok(bytes) = postcard::to_stdvec(&stored) {
            fresh.insert(path.to_string(), (stat, bytes));
        }
    }

    /// Keeps `path`'s answer: its findings after ignores and selection, and
    /// the transcripts of the plugin calls that reached it (every one
    /// replayable); `stat`: the file's [`StatKey`] before it was read.
    pub fn put(
        &self,
        path: &str,
        key: &FileKey,
        stat: Option<StatKey>,
        answer: &FileAnswer,
        asked: &[Transcript],
    ) {
        if self.key.is_none() || asked.iter().any(|t| !t.replayable()) {
            return;
        }
        let asked = asked
            .iter()
            .filter(|t| !t.asked_nothing())
            .map(serde_json::to_string)
            .collect::<Result<Vec<_>, _>>();
        let Ok(asked) = asked else { return };
        let stored = Stored {
            file: key.0,
            findings: answer.findings.iter().map(Compact::from).collect(),
            suppressed: answer.suppressed as u64,
            text: answer.text.clone(),
            asked,
            human: answer.human.as_ref().map(StoredBlocks::from),
            json: answer.json.as_ref().map(StoredBlocks::from),
        };
        if let (Ok(bytes), Ok(mut fresh)) = (postcard::to_stdvec(&stored), self.fresh.lock()) {
            fresh.insert(path.to_string(), (stat.map(|s| s.0), bytes));
        }
    }

    /// Writes the entry when this run changed it: its own answers, and
    /// the earlier ones it used.
    pub fn save(self, host: &Host) {
        let Some(key) = self.key else { return };
        let fresh = self.fresh.into_inner().unwrap_or_default();
        // Metadata that changed alone (a checkout, `touch`) does not make a
        // run write the entry: it is kept when the entry is written anyway.
        if fresh.is_empty() {
            return;
        }
        let restat = self.restat.into_inner().unwrap_or_default();
        let kept = self
            .loaded
            .iter()
            .filter(|(p, _)| !fresh.contains_key(p.as_str()))
            .map(|(p, (stat, at))| {
                let stat = restat.get(p).copied().or(*stat);
                (p.as_str(), stat, Bytes(&self.raw[at.clone()]))
            });
        let entry = Entry {
            key: &key,
            files: fresh
                .iter()
                .map(|(p, (stat, b))| {
                    let stat = restat.get(p).copied().or(*stat);
                    (p.as_str(), stat, Bytes(b.as_slice()))
                })
                .chain(kept)
                .collect(),
        };
        // Encoded straight to the file: the entry is megabytes, already
        // held once in `fresh`.
        self.store.put_streamed(host, &key, |w| {
            postcard::to_io(&entry, w)
                .map(drop)
                .map_err(std::io::Error::other)
        });
    }
}

/// A finding as the entry holds it: postcard needs every field in order
/// and enums tagged outside (the report's `Location` is tagged inside, and
/// its JSON `properties` are kept as JSON text).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Compact {
    rule_id: String,
    rule_name: String,
    plugin: String,
    level: Level,
    message: String,
    location: CompactLocation,
    aliases: Vec<String>,
    covers: Option<Vec<String>>,
    tags: Vec<String>,
    fixes: Vec<Fix>,
    security_severity: Option<f32>,
    help_uri: Option<String>,
    properties: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
enum CompactLocation {
    File {
        path: String,
        region: Region,
    },
    Image {
        reference: String,
        path: String,
        layer: Option<u32>,
    },
    Target {
        target: String,
    },
}

impl From<&Finding> for Compact {
    fn from(f: &Finding) -> Compact {
        Compact {
            rule_id: f.rule_id.clone(),
            rule_name: f.rule_name.clone(),
            plugin: f.plugin.clone(),
            level: f.level,
            message: f.message.clone(),
            location: match &f.location {
                Location::File { path, region } => CompactLocation::File {
                    path: path.clone(),
                    region: *region,
                },
                Location::Image {
                    reference,
                    path,
                    layer,
                } => CompactLocation::Image {
                    reference: reference.clone(),
                    path: path.clone(),
                    layer: *layer,
                },
                Location::Target { target } => CompactLocation::Target {
                    target: target.clone(),
                },
            },
            aliases: f.aliases.clone(),
            covers: f.covers.clone(),
            tags: f.tags.clone(),
            fixes: f.fixes.clone(),
            security_severity: f.security_severity,
            help_uri: f.help_uri.clone(),
            properties: f.properties.as_ref().map(|p| p.to_string()),
        }
    }
}

impl From<Compact> for Finding {
    fn from(c: Compact) -> Finding {
        Finding {
            rule_id: c.rule_id,
            rule_name: c.rule_name,
            plugin: c.plugin,
            level: c.level,
            message: c.message,
            location: match c.location {
                CompactLocation::File { path, region } => Location::File { path, region },
                CompactLocation::Image {
                    reference,
                    path,
                    layer,
                } => Location::Image {
                    reference,
                    path,
                    layer,
                },
                CompactLocation::Target { target } => Location::Target { target },
            },
            aliases: c.aliases,
            covers: c.covers,
            tags: c.tags,
            fixes: c.fixes,
            security_severity: c.security_severity,
            help_uri: c.help_uri,
            properties: c.properties.and_then(|p| serde_json::from_str(&p).ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_report::{Applicability, Edit, Position};

    /// Every kind of location and every optional field survive the entry's
    /// encoding as they were.
    #[test]
    fn findings_survive_the_compact_encoding() {
        let at = |line| Position {
            line,
            column: 1,
            offset: 7,
        };
        let base = Finding {
            rule_name: "name".into(),
            plugin: "lint".into(),
            ..Finding::new(
                "PL1001",
                Level::Warning,
                "m",
                Location::File {
                    path: "Dockerfile".into(),
                    region: Region {
                        start: at(1),
                        end: at(2),
                    },
                },
            )
        };
        let full = Finding {
            location: Location::Image {
                reference: "alpine:3".into(),
                path: "/lib/apk/db/installed".into(),
                layer: Some(2),
            },
            aliases: vec!["DL3008".into()],
            covers: Some(vec!["CVE-1".into()]),
            tags: vec!["security".into()],
            fixes: vec![Fix {
                description: "d".into(),
                applicability: Applicability::Unsafe,
                edits: vec![Edit {
                    start: 1,
                    end: 2,
                    replacement: "x".into(),
                }],
            }],
            security_severity: Some(7.5),
            help_uri: Some("https://example.com".into()),
            properties: Some(serde_json::json!({"a": [1, "b", null]})),
            ..base.clone()
        };
        let target = Finding {
            location: Location::Target {
                target: "sbom.json".into(),
            },
            ..base.clone()
        };
        for f in [base, full, target] {
            let bytes = postcard::to_stdvec(&Compact::from(&f)).unwrap();
            let back: Compact = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(Finding::from(back), f);
        }
    }
}
