//! The result cache (ruff's model): what a plugin found in a file, kept
//! under the cache directory so a re-run over unchanged files does not ask
//! the plugin again.
//!
//! An entry's key is the sha256 of everything the answer depends on: this
//! plimsoll (version, commit, and the executable's size and modification
//! time, so a rebuilt binary never reads an older one's results), the
//! plugin's sha256 and effective settings, the file's path and bytes, and
//! the day (rules compare dates, such as end-of-life). Only plugins whose
//! answers hang on nothing else are cached: those granted no capability
//! that reaches a registry, signatures, vulnerability data or packages.
//! An entry that does not parse or names another key (truncated, foreign)
//! is recomputed and rewritten, never trusted. `--no-result-cache` bypasses
//! it; `--no-cache` bypasses every cache.

use std::path::{Path, PathBuf};

use plimsoll_report::Finding;
use sha2::{Digest, Sha256};

/// The result cache of one run.
#[derive(Debug, Default)]
pub struct ResultCache {
    /// `<cache dir>/results`; `None`: disabled.
    dir: Option<PathBuf>,
    /// What every key of this run shares (version, binary, day).
    salt: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    key: String,
    findings: Vec<Finding>,
}

impl ResultCache {
    /// A cache under `root` (the cache directory), or a disabled one.
    pub fn new(root: Option<&Path>, enabled: bool) -> ResultCache {
        let Some(root) = root.filter(|_| enabled) else {
            return ResultCache::default();
        };
        let exe = std::env::current_exe()
            .and_then(std::fs::metadata)
            .map(|m| {
                let modified = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                format!("{}:{modified}", m.len())
            })
            .unwrap_or_default();
        let day = time::OffsetDateTime::now_utc().date();
        ResultCache {
            dir: Some(root.join("results")),
            salt: format!("{}\n{exe}\n{day}\n", crate::version::LONG),
        }
    }

    /// The key of `plugin`'s answer for the file `path` holding `bytes`.
    pub fn key(&self, plugin: &plimsoll_host::Plugin, path: &str, bytes: &[u8]) -> Option<String> {
        self.dir.as_ref()?;
        let mut h = Sha256::new();
        h.update(self.salt.as_bytes());
        for part in [
            plugin.name.as_bytes(),
            plugin.sha256.as_bytes(),
            plugin.settings_json().as_bytes(),
            path.as_bytes(),
        ] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.update(Sha256::digest(bytes));
        Some(hex::encode(h.finalize()))
    }

    fn file(&self, key: &str) -> Option<PathBuf> {
        Some(self.dir.as_ref()?.join(&key[..2]).join(&key[2..]))
    }

    /// The cached answer for `key`, when there is a sound one.
    pub fn get(&self, key: &str) -> Option<Vec<Finding>> {
        let bytes = std::fs::read(self.file(key)?).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        (entry.key == key).then_some(entry.findings)
    }

    /// Stores an answer (best effort: a cache that cannot be written only
    /// costs the next run time). Written to a temporary file and renamed, so
    /// a reader never sees half an entry.
    pub fn put(&self, key: &str, findings: &[Finding]) {
        let Some(file) = self.file(key) else { return };
        let Some(dir) = file.parent() else { return };
        let entry = Entry {
            key: key.to_string(),
            findings: findings.to_vec(),
        };
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(dir)?;
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            serde_json::to_writer(&mut tmp, &entry)?;
            tmp.persist(&file).map_err(|e| e.error)?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::debug!("result cache: cannot write {}: {e}", file.display());
        }
    }
}
