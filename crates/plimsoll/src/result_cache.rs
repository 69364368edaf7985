//! The result cache (ruff's model): what a plugin found in a file, kept
//! under the cache directory so a re-run over unchanged files does not ask
//! the plugin again.
//!
//! An entry's key is the sha256 of everything the answer depends on: this
//! plimsoll (version, commit, and the executable's size and modification
//! time, so a rebuilt binary never reads an older one's results), the
//! plugin's sha256 and effective settings, the file's path and text, and
//! the day plugins see (rules compare dates, such as end-of-life). Only
//! plugins whose answers hang on nothing else are cached: those granted no
//! capability that reaches a registry, signatures, vulnerability data or
//! packages.
//!
//! Each entry carries an HMAC under the compiled-plugin cache's key, which
//! lives outside the cache directory: an entry that does not verify, does
//! not parse or names another key (edited to hide a finding, truncated,
//! foreign) is recomputed and rewritten, never trusted; without a
//! trustworthy key there is no result cache. `--no-result-cache` bypasses
//! it; `--no-cache` bypasses every cache.

use std::path::{Path, PathBuf};

use plimsoll_host::Host;
use plimsoll_report::Finding;
use sha2::{Digest, Sha256};

/// MAC domain of result entries.
const DOMAIN: &str = "result-cache";

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
    /// A cache under `root` (the cache directory), or a disabled one when
    /// not `enabled` or `host` has no trustworthy cache key.
    pub fn new(root: Option<&Path>, enabled: bool, host: &Host) -> ResultCache {
        let Some(root) = root.filter(|_| enabled) else {
            return ResultCache::default();
        };
        if host.cache_mac(DOMAIN, b"").is_none() {
            return ResultCache::default();
        }
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
        ResultCache {
            dir: Some(root.join("results")),
            salt: format!("{}\n{exe}\n{}\n", crate::version::LONG, host.today_secs()),
        }
    }

    /// The key of `plugin`'s answer for the file `path` holding `text`.
    pub fn key(&self, plugin: &plimsoll_host::Plugin, path: &str, text: &[u8]) -> Option<String> {
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
        h.update(Sha256::digest(text));
        Some(hex::encode(h.finalize()))
    }

    fn file(&self, key: &str) -> Option<PathBuf> {
        Some(self.dir.as_ref()?.join(&key[..2]).join(&key[2..]))
    }

    /// The cached answer for `key`, when there is one that verifies.
    /// Stored as the MAC (hex), a newline, the entry's JSON.
    pub fn get(&self, host: &Host, key: &str) -> Option<Vec<Finding>> {
        let bytes = std::fs::read(self.file(key)?).ok()?;
        let newline = bytes.iter().position(|&b| b == b'\n')?;
        let (mac, json) = (&bytes[..newline], &bytes[newline + 1..]);
        let want = hex::encode(host.cache_mac(DOMAIN, json)?);
        if mac != want.as_bytes() {
            tracing::debug!("result cache: entry {key} does not verify; recomputed");
            return None;
        }
        let entry: Entry = serde_json::from_slice(json).ok()?;
        (entry.key == key).then_some(entry.findings)
    }

    /// Stores an answer (best effort: a cache that cannot be written only
    /// costs the next run time). Written to a temporary file and renamed, so
    /// a reader never sees half an entry.
    pub fn put(&self, host: &Host, key: &str, findings: &[Finding]) {
        let Some(file) = self.file(key) else { return };
        let Some(dir) = file.parent() else { return };
        let Ok(json) = serde_json::to_vec(&Entry {
            key: key.to_string(),
            findings: findings.to_vec(),
        }) else {
            return;
        };
        let Some(mac) = host.cache_mac(DOMAIN, &json) else {
            return;
        };
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            std::fs::create_dir_all(dir)?;
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            tmp.write_all(hex::encode(mac).as_bytes())?;
            tmp.write_all(b"\n")?;
            tmp.write_all(&json)?;
            tmp.persist(&file).map_err(|e| e.error)?;
            Ok(())
        };
        if let Err(e) = write() {
            tracing::debug!("result cache: cannot write {}: {e}", file.display());
        }
    }
}
