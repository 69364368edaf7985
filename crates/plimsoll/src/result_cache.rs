//! The result cache (ruff's model): what a plugin found in a file, kept
//! under the cache directory so a re-run over unchanged files does not ask
//! the plugin again.
//!
//! An entry's key is the sha256 of everything the answer depends on: this
//! plimsoll (version, commit, and the executable's size and modification
//! time, so a rebuilt binary never reads an older one's results), the
//! plugin's sha256 and effective settings, the file's path and text, and
//! the day plugins see (rules compare dates, such as end-of-life), and the
//! capabilities it was granted. An answer is kept with the host calls the
//! plugin made to reach it (`plimsoll_host::Transcript`): only calls whose
//! every host call was a registry question are cached, and a cached answer
//! is used only when asking those questions again gets the same answers
//! (so a pin finding lives as long as the registry's answer for its tag:
//! the registry client's TTL, or `--offline`'s cache). A call that used
//! signatures, vulnerability data or packages is never cached.
//!
//! Each entry carries a MAC (keyed BLAKE3) under the compiled-plugin cache's key, which
//! lives outside the cache directory: an entry that does not verify, does
//! not parse or names another key (edited to hide a finding, truncated,
//! foreign) is recomputed and rewritten, never trusted; without a
//! trustworthy key there is no result cache. `--no-result-cache` bypasses
//! it; `--no-cache` bypasses every cache.

use std::path::{Path, PathBuf};

use plimsoll_host::Host;
use plimsoll_report::Finding;
use sha2::{Digest, Sha256};

mod files;
pub use files::{FileAnswer, FileCache, Lookup};

/// Small JSON entries under the cache directory, each stored as its MAC
/// (hex, under the compiled-plugin cache's key), a newline and the JSON:
/// one that does not verify or parse is ignored, never trusted.
#[derive(Debug, Default)]
struct MacStore {
    /// `None`: disabled.
    dir: Option<PathBuf>,
    /// MAC domain: entries of one store never verify as another's.
    domain: &'static str,
}

impl MacStore {
    fn new(root: Option<&Path>, sub: &str, domain: &'static str, host: &Host) -> MacStore {
        let dir = root
            .filter(|_| host.cache_mac(domain, b"").is_some())
            .map(|r| r.join(sub));
        MacStore { dir, domain }
    }

    fn file(&self, key: &str) -> Option<PathBuf> {
        Some(self.dir.as_ref()?.join(&key[..2]).join(&key[2..]))
    }

    /// An entry's file and where its payload starts, when it verifies.
    fn get_raw(&self, host: &Host, key: &str) -> Option<(EntryBytes, usize)> {
        let bytes = EntryBytes::open(&self.file(key)?)?;
        let newline = bytes.iter().position(|&b| b == b'\n')?;
        let (mac, payload) = (&bytes[..newline], &bytes[newline + 1..]);
        let want = hex::encode(host.cache_mac(self.domain, payload)?);
        if mac != want.as_bytes() {
            tracing::debug!("{}: entry {key} does not verify; recomputed", self.domain);
            return None;
        }
        Some((bytes, newline + 1))
    }

    fn get<T: serde::de::DeserializeOwned>(&self, host: &Host, key: &str) -> Option<T> {
        let (bytes, start) = self.get_raw(host, key)?;
        serde_json::from_slice(&bytes[start..]).ok()
    }

    /// Writes an entry whose payload `fill` writes as it encodes it, with
    /// no copy of it in memory: the MAC goes over a placeholder once the
    /// payload is out. Best effort (a cache that cannot be written only
    /// costs the next run time); written to a temporary file and renamed,
    /// so a reader never sees half an entry.
    fn put_streamed(
        &self,
        host: &Host,
        key: &str,
        fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) {
        use std::io::{Seek, Write};
        struct Tee<'a> {
            file: &'a mut std::fs::File,
            mac: &'a mut plimsoll_host::CacheMac,
        }
        impl Write for Tee<'_> {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let n = self.file.write(buf)?;
                self.mac.update(&buf[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                self.file.flush()
            }
        }
        let Some(file) = self.file(key) else { return };
        let Some(mut mac) = host.cache_mac_writer(self.domain) else {
            return;
        };
        let written = plimsoll_fs::AtomicWrite::new().write_with(&file, |f| {
            let placeholder = [b'0'; 64];
            f.write_all(&placeholder)?;
            f.write_all(b"\n")?;
            {
                let tee = Tee {
                    file: &mut *f,
                    mac: &mut mac,
                };
                let mut w = std::io::BufWriter::with_capacity(1 << 16, tee);
                fill(&mut w)?;
                w.flush()?;
            }
            let value = hex::encode(mac.value());
            debug_assert_eq!(value.len(), placeholder.len());
            f.seek(std::io::SeekFrom::Start(0))?;
            f.write_all(value.as_bytes())
        });
        if let Err(e) = written {
            tracing::debug!("{}: cannot write {}: {e}", self.domain, file.display());
        }
    }

    fn put<T: serde::Serialize>(&self, host: &Host, key: &str, value: &T) {
        self.put_streamed(host, key, |w| {
            serde_json::to_writer(w, value).map_err(std::io::Error::other)
        });
    }
}

/// An entry's bytes: mapped when it is large, read otherwise.
///
/// Reading the corpus's whole-file entry (8 MB) into a fresh buffer cost a
/// re-run 7-16 ms on this project's VM, most of it the kernel zeroing and
/// faulting in the buffer's pages before copying into them; mapping it and
/// computing its MAC, 2-3 ms. As the compiled-plugin cache maps its
/// entries: a read-only private mapping of a file under the cache
/// directory (0700), which every writer replaces by rename, never writes
/// in place, and whose MAC is checked over the mapped bytes before any is
/// used.
#[derive(Debug)]
enum EntryBytes {
    Mapped(memmap2::Mmap),
    Read(Vec<u8>),
}

impl Default for EntryBytes {
    fn default() -> EntryBytes {
        EntryBytes::Read(Vec::new())
    }
}

impl EntryBytes {
    /// Entries smaller than this are read: for them a mapping's own
    /// system calls cost more than the copy.
    const MAP_FROM: u64 = 256 * 1024;

    fn open(path: &Path) -> Option<EntryBytes> {
        use std::io::Read;
        let mut file = std::fs::File::open(path).ok()?;
        let len = file.metadata().ok()?.len();
        if len >= Self::MAP_FROM {
            // SAFETY: see the type's docs: a read-only private mapping of
            // a cache entry that is replaced by rename, never written in
            // place; nothing is used before its MAC verifies.
            if let Ok(map) = unsafe { memmap2::Mmap::map(&file) } {
                return Some(EntryBytes::Mapped(map));
            }
        }
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.read_to_end(&mut bytes).ok()?;
        Some(EntryBytes::Read(bytes))
    }
}

impl AsRef<[u8]> for EntryBytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::ops::Deref for EntryBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            EntryBytes::Mapped(m) => m,
            EntryBytes::Read(v) => v,
        }
    }
}

/// The result cache of one run.
#[derive(Debug, Default)]
pub struct ResultCache {
    store: MacStore,
    /// What every key of this run shares (version, binary, day).
    salt: String,
    /// Answers are written (see [`ResultCache::write_for`]).
    writes: bool,
    /// Which of the 256 directories entries are kept in (by their keys'
    /// first byte) there were when the run started: a key whose directory
    /// was not there has no entry, and is not looked for. A run over a
    /// thousand files that an earlier large run left no entries for (it
    /// writes none, [`PER_PLUGIN_ENTRIES_UP_TO`]) then neither hashes each
    /// file once per plugin nor tries to open thousands of missing files
    /// (the first run over the corpus: ~8% slower than without the cache).
    shards: [u64; 4],
}

/// The entry directories under `dir`, as a set of their names' byte
/// values (`00` to `ff`).
fn shards_in(dir: Option<&Path>) -> [u64; 4] {
    let mut set = [0u64; 4];
    let names = dir
        .and_then(|d| std::fs::read_dir(d).ok())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().into_string().ok());
    for name in names {
        if let Some(b) = shard_of(&name) {
            let (word, bit) = shard_bit(b);
            set[word] |= bit;
        }
    }
    set
}

/// Where directory byte `b` is in a set of them: its word and bit.
fn shard_bit(b: u8) -> (usize, u64) {
    (usize::from(b >> 6), 1 << (b & 63))
}

/// The directory byte of a key or a directory name: its first two
/// characters, as lowercase hex.
fn shard_of(name: &str) -> Option<u8> {
    let two = name.get(..2)?;
    (two.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    .then(|| u8::from_str_radix(two, 16).ok())
    .flatten()
}

/// The most targets a run may have and still write an entry per (plugin,
/// file): a larger run keeps its answers in the whole-file layer only.
/// Each entry is a file, and creating one costs ~0.25 ms on this project's
/// machines: a cold-cache run over the corpus (2,052 entries) took 0.9 s
/// where checking took 0.3 s. A small run (an editor's, a pre-commit hook's
/// changed files) writes them, for the next small run over other files.
pub const PER_PLUGIN_ENTRIES_UP_TO: usize = 32;

#[derive(serde::Serialize, serde::Deserialize)]
struct Entry {
    key: String,
    findings: Vec<Finding>,
    /// The registry questions the answer hangs on.
    asked: plimsoll_host::Transcript,
}

/// What this plimsoll binary is, for keys: version, commit, and the
/// executable's size and modification time.
fn binary_identity() -> String {
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
    format!("{}\n{exe}", crate::version::LONG)
}

impl ResultCache {
    /// A cache under `root` (the cache directory), or a disabled one when
    /// not `enabled` or `host` has no trustworthy cache key.
    pub fn new(root: Option<&Path>, enabled: bool, host: &Host) -> ResultCache {
        let store = MacStore::new(root.filter(|_| enabled), "results", "result-cache", host);
        let salt = match store.dir {
            Some(_) => format!("{}\n{}\n", binary_identity(), host.today_secs()),
            None => String::new(),
        };
        ResultCache {
            shards: shards_in(store.dir.as_deref()),
            store,
            salt,
            writes: true,
        }
    }

    /// Sets whether a run over `targets` targets writes its answers here
    /// ([`PER_PLUGIN_ENTRIES_UP_TO`]); it reads them all the same.
    pub fn write_for(&mut self, targets: usize) {
        self.writes = targets <= PER_PLUGIN_ENTRIES_UP_TO;
    }

    /// The key of `plugin`'s answer for the file `path` holding `text`.
    /// `None` when the answer is neither kept nor looked for: the cache is
    /// off, or this run writes no entries and there are none.
    pub fn key(&self, plugin: &plimsoll_host::Plugin, path: &str, text: &[u8]) -> Option<String> {
        self.store.dir.as_ref()?;
        if !self.writes && self.shards == [0; 4] {
            return None;
        }
        let mut h = Sha256::new();
        h.update(self.salt.as_bytes());
        hash_plugin(&mut h, plugin.into());
        hash_part(&mut h, path.as_bytes());
        h.update(Sha256::digest(text));
        Some(hex::encode(h.finalize()))
    }

    /// The cached answer for `key`, when there is one that verifies and
    /// the registry still answers its questions as it did.
    pub fn get(
        &self,
        host: &Host,
        key: &str,
        registry: &dyn plimsoll_host::RegistryService,
    ) -> Option<(Vec<Finding>, plimsoll_host::Transcript)> {
        let (word, bit) = shard_bit(shard_of(key)?);
        if self.shards[word] & bit == 0 {
            return None;
        }
        let entry: Entry = self.store.get(host, key)?;
        (entry.key == key && entry.asked.still_holds(registry))
            .then_some((entry.findings, entry.asked))
    }

    /// Stores an answer, when the call can be replayed.
    pub fn put(
        &self,
        host: &Host,
        key: &str,
        findings: &[Finding],
        asked: &plimsoll_host::Transcript,
    ) {
        if !self.writes || !asked.replayable() {
            return;
        }
        let entry = Entry {
            key: key.to_string(),
            findings: findings.to_vec(),
            asked: asked.clone(),
        };
        self.store.put(host, key, &entry);
    }
}

/// One part of a key, length first (no two lists of parts hash alike).
fn hash_part(h: &mut Sha256, part: &[u8]) {
    h.update((part.len() as u64).to_le_bytes());
    h.update(part);
}

/// What a plugin's answers hang on besides their input: its name, bytes,
/// effective settings and granted capabilities, all known before it is
/// loaded (a run whose files all hit the whole-file layer loads none).
#[derive(Debug, Clone, Copy)]
pub struct PluginIdentity<'a> {
    pub name: &'a str,
    pub sha256: &'a str,
    pub settings_json: &'a str,
    pub granted: &'a [plimsoll_config::Capability],
}

impl<'a> From<&'a plimsoll_host::Plugin> for PluginIdentity<'a> {
    fn from(p: &'a plimsoll_host::Plugin) -> Self {
        PluginIdentity {
            name: &p.name,
            sha256: &p.sha256,
            settings_json: p.settings_json(),
            granted: p.granted(),
        }
    }
}

fn hash_plugin(h: &mut Sha256, plugin: PluginIdentity) {
    for part in [
        plugin.name.as_bytes(),
        plugin.sha256.as_bytes(),
        plugin.settings_json.as_bytes(),
    ] {
        hash_part(h, part);
    }
    h.update((plugin.granted.len() as u64).to_le_bytes());
    for c in plugin.granted {
        h.update(c.as_str().as_bytes());
        h.update([0]);
    }
}

/// The rules of built-in plugins, by component sha256: a run whose
/// selection turns all of a built-in's rules off does not load it (`--select
/// lint` never loads `pin`), and still knows its rule ids for selectors.
/// Rules are the component's own (its `info`), whatever the settings.
#[derive(Debug, Default)]
pub struct RuleCache {
    store: MacStore,
    /// This binary, read once (keys hang on it).
    binary: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Rules {
    sha256: String,
    rules: Vec<plimsoll_report::RuleInfo>,
}

impl RuleCache {
    pub fn new(root: Option<&Path>, host: &Host) -> RuleCache {
        let store = MacStore::new(root, "rules", "rule-cache", host);
        let binary = if store.dir.is_some() {
            binary_identity()
        } else {
            String::new()
        };
        RuleCache { store, binary }
    }

    fn key(&self, sha256: &str) -> String {
        let sha = sha256.trim_start_matches("sha256:");
        hex::encode(Sha256::digest(format!("{}\n{sha}", self.binary)))
    }

    /// The rules of the built-in whose component is `sha256`, when known.
    pub fn get(&self, host: &Host, sha256: &str) -> Option<Vec<plimsoll_report::RuleInfo>> {
        self.store.dir.as_ref()?;
        let r: Rules = self.store.get(host, &self.key(sha256))?;
        (r.sha256 == sha256).then_some(r.rules)
    }

    /// Remembers a loaded built-in's rules (without their docs).
    pub fn put(&self, host: &Host, sha256: &str, rules: &[plimsoll_report::RuleInfo]) {
        if self.store.dir.is_none() {
            return;
        }
        let rules = rules
            .iter()
            .map(|r| plimsoll_report::RuleInfo {
                docs: String::new(),
                ..r.clone()
            })
            .collect();
        self.store.put(
            host,
            &self.key(sha256),
            &Rules {
                sha256: sha256.to_string(),
                rules,
            },
        );
    }
}
