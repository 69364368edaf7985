//! Compiled-component cache: `.cwasm` files keyed by the component's sha256
//! and the engine's compatibility hash, written atomically.
//!
//! A `.cwasm` is native code that wasmtime maps executable, and CI caches
//! (actions/cache, GitLab's cache) restore this directory from storage that
//! other jobs can write. So every entry has a MAC (keyed BLAKE3) over the
//! engine key, the component's sha256 and the compiled bytes, keyed by a
//! secret that lives *outside* the cache directory (`cache.key` in the
//! state directory, created 0600 on first use), kept beside it in
//! `<entry>.cwasm.mac`. An entry whose MAC does not verify — swapped for another
//! plugin's, patched, written by another machine, truncated — is recompiled,
//! never run. A cache or key directory that others may write is not used at
//! all.
//!
//! A hit costs no copy of the code: the entry is mapped, hashed from the
//! mapping, and handed to wasmtime, which maps the same file (copy-on-write)
//! as the plugin's code. Entries are only ever replaced by rename, so a
//! mapped entry never changes under a run; the only writer that could patch
//! one in place is a process of this same user, which could as well replace
//! the binary.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use plimsoll_fs::AtomicWrite;

use wasmtime::Engine;
use wasmtime::component::Component;

/// Bytes of a MAC.
const MAC_LEN: usize = 32;

/// Where compiled plugins live: `$PLIMSOLL_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/plimsoll`, else the platform cache directory.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PLIMSOLL_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("plimsoll"));
    }
    dirs::cache_dir().map(|d| d.join("plimsoll"))
}

/// Where the cache's MAC key lives: `$PLIMSOLL_CACHE_KEY`, else
/// `cache.key` in `$XDG_STATE_HOME/plimsoll` (or the platform's state or
/// config directory). Never inside the cache directory: whoever can write
/// the cache must not be able to forge entries.
pub fn default_key_file() -> Option<PathBuf> {
    if let Some(f) = std::env::var_os("PLIMSOLL_CACHE_KEY").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(f));
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("plimsoll/cache.key"));
    }
    dirs::state_dir()
        .or_else(dirs::config_dir)
        .map(|d| d.join("plimsoll/cache.key"))
}

#[derive(Clone)]
pub struct CompileCache {
    dir: PathBuf,
    engine_key: String,
    /// `None`: the cache is not trustworthy here (see [`CompileCache::new`]);
    /// every component is compiled in memory.
    mac_key: Option<[u8; 32]>,
    /// The key was made by this process: entries written under another key
    /// are expected (a cache restored onto a new CI runner), not a sign of
    /// tampering.
    fresh_key: bool,
}

impl std::fmt::Debug for CompileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileCache")
            .field("dir", &self.dir)
            .field("usable", &self.mac_key.is_some())
            .finish()
    }
}

/// How a component was obtained, for timing reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Miss,
    /// An entry existed but did not verify or load; it was replaced.
    Corrupt,
    Disabled,
}

impl CompileCache {
    /// A cache in `dir` authenticated with the key in `key_file` (created if
    /// missing). The cache is switched off, with a warning, when either
    /// place is writable by other users or the key cannot be read or made.
    pub fn new(dir: PathBuf, key_file: Option<PathBuf>, engine: &Engine) -> Self {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        // The entries' layout: code in `.cwasm`, its MAC in `.cwasm.mac`.
        "entry layout 2".hash(&mut h);
        let dir = dir.join("components");
        let (mac_key, fresh_key) = match key_file {
            Some(k) => match trusted_key(&dir, &k) {
                Ok((key, fresh)) => (Some(key), fresh),
                Err(why) => {
                    tracing::warn!(
                        "not using the compiled-plugin cache in {}: {why}; plugins are compiled on every run",
                        dir.display()
                    );
                    (None, false)
                }
            },
            None => (None, false),
        };
        CompileCache {
            dir,
            engine_key: format!("{:016x}", h.finish()),
            mac_key,
            fresh_key,
        }
    }

    /// A MAC under this cache's key (kept outside the cache directory) over
    /// `data`, separated by `domain`, for other caches kept beside the
    /// compiled plugins (check results); `None` when there is no
    /// trustworthy key, and then no such cache should be used either.
    pub fn mac_of(&self, domain: &str, data: &[u8]) -> Option<[u8; 32]> {
        let mut m = self.mac_hasher(domain)?;
        m.update(data);
        Some(m.finalize().into())
    }

    /// What [`Cache::mac_of`] computes, fed piece by piece.
    pub fn mac_hasher(&self, domain: &str) -> Option<blake3::Hasher> {
        let key = self.mac_key.as_ref()?;
        let mut m = blake3::Hasher::new_keyed(key);
        m.update(b"plimsoll ");
        m.update(domain.as_bytes());
        m.update(b"\0");
        Some(m)
    }

    fn path_for(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}-{}.cwasm", self.engine_key))
    }

    /// The MAC of an entry: over the engine key, the component's sha256 and
    /// the compiled bytes.
    fn mac(&self, key: &[u8; 32], sha256: &str, compiled: &[u8]) -> blake3::Hash {
        let mut m = blake3::Hasher::new_keyed(key);
        m.update(b"plimsoll component\0");
        m.update(self.engine_key.as_bytes());
        m.update(b"\0");
        m.update(sha256.as_bytes());
        m.update(b"\0");
        m.update(compiled);
        m.finalize()
    }

    /// Loads the component for `bytes` (whose sha256 is `sha256`) from the
    /// cache when its entry verifies, or compiles and stores it.
    pub fn load(
        &self,
        engine: &Engine,
        sha256: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let Some(key) = &self.mac_key else {
            return Component::new(engine, bytes).map(|c| (c, CacheOutcome::Disabled));
        };
        let path = self.path_for(sha256);
        let mac_path = path.with_extension("cwasm.mac");
        let mut outcome = CacheOutcome::Miss;
        if let Ok(file) = std::fs::File::open(&path) {
            match self.verified(key, sha256, &file, &mac_path) {
                Ok(()) => {
                    // SAFETY: this entry carries a MAC under a key only this
                    // user can read, over this engine's key, this component's
                    // sha256 and these bytes: we wrote it with
                    // `Engine::precompile_component` for this component on
                    // an engine with the same compatibility hash. Entries are
                    // replaced by rename only (see the module's docs).
                    match unsafe { Component::deserialize_file(engine, &path) } {
                        Ok(c) => return Ok((c, CacheOutcome::Hit)),
                        Err(e) => {
                            tracing::warn!("discarding cache entry {}: {e}", path.display())
                        }
                    }
                }
                Err(why) if self.fresh_key => tracing::info!(
                    "discarding cache entry {}: {why} against this machine's new cache key (a cache restored from elsewhere); recompiling",
                    path.display()
                ),
                Err(why) => tracing::warn!(
                    "discarding cache entry {}: it was not written by this plimsoll for this plugin ({why})",
                    path.display()
                ),
            }
            let _ = std::fs::remove_file(&mac_path);
            let _ = std::fs::remove_file(&path);
            outcome = CacheOutcome::Corrupt;
        }
        let compiled = engine.precompile_component(bytes)?;
        let mac = self.mac(key, sha256, &compiled);
        // The MAC first, the code second: a run in between finds no entry
        // and compiles the plugin itself, rather than code without its MAC.
        let entry = AtomicWrite::new().private_dirs().durable();
        if let Err(e) = entry
            .write(&mac_path, mac.as_bytes())
            .and_then(|()| entry.write(&path, &compiled))
        {
            tracing::warn!("cannot write cache entry {}: {e}", path.display());
        }
        // SAFETY: `compiled` was produced just now by this engine.
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        Ok((component, outcome))
    }

    /// Whether the entry open in `file` verifies against the MAC in
    /// `mac_path`; why not, otherwise.
    fn verified(
        &self,
        key: &[u8; 32],
        sha256: &str,
        file: &std::fs::File,
        mac_path: &Path,
    ) -> Result<(), &'static str> {
        let want: [u8; MAC_LEN] = std::fs::read(mac_path)
            .ok()
            .and_then(|m| m.try_into().ok())
            .ok_or("its MAC is missing")?;
        // SAFETY: a read-only private mapping of a cache entry; entries are
        // replaced by rename, never written in place (module docs).
        let map = unsafe { memmap2::Mmap::map(file) }.map_err(|_| "it cannot be mapped")?;
        // `blake3::Hash`'s equality is constant-time.
        if self.mac(key, sha256, &map) == blake3::Hash::from_bytes(want) {
            Ok(())
        } else {
            Err("authentication failed")
        }
    }
}

/// The MAC key, created (0600, in a 0700 directory) when missing. Refuses a
/// key or cache directory that other users may write, and a key file that
/// sits inside the cache directory. `true` with a key made just now.
fn trusted_key(cache_dir: &Path, key_file: &Path) -> Result<([u8; 32], bool), String> {
    let cache_abs = absolute(cache_dir);
    let key_abs = absolute(key_file);
    if key_abs.starts_with(cache_abs.parent().unwrap_or(&cache_abs)) {
        return Err(format!(
            "its key {} is inside the cache directory",
            key_file.display()
        ));
    }
    for dir in [cache_dir, cache_dir.parent().unwrap_or(cache_dir)] {
        others_may_write(dir)?;
    }
    if let Some(parent) = key_file.parent() {
        if !parent.exists() {
            plimsoll_fs::create_dirs(parent, true)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        others_may_write(parent)?;
    }
    match std::fs::read(key_file) {
        Ok(bytes) => {
            others_may_write(key_file)?;
            let key = bytes.try_into().map_err(|_| {
                format!(
                    "{} is not a plimsoll cache key (32 bytes); delete it to make a new one",
                    key_file.display()
                )
            })?;
            Ok((key, false))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| format!("no randomness for a key: {e}"))?;
            // Private (0600), flushed, and never over a key another process
            // wrote meanwhile.
            AtomicWrite::new()
                .durable()
                .keep_existing()
                .write(key_file, &key)
                .map_err(|e| format!("cannot write {}: {e}", key_file.display()))?;
            // Another process may have made it first: use what is there.
            std::fs::read(key_file)
                .ok()
                .and_then(|b| b.try_into().ok())
                .map(|key| (key, true))
                .ok_or_else(|| format!("cannot read back {}", key_file.display()))
        }
        Err(e) => Err(format!("cannot read {}: {e}", key_file.display())),
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Refuses a path that users other than its owner may write (a directory
/// with the sticky bit, such as /tmp, only lets owners replace entries).
#[cfg(unix)]
fn others_may_write(p: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = std::fs::metadata(p) else {
        return Ok(());
    };
    let mode = m.mode();
    let sticky = m.is_dir() && mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !sticky {
        return Err(format!(
            "{} is writable by other users (mode {:o})",
            p.display(),
            mode & 0o7777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn others_may_write(_: &Path) -> Result<(), String> {
    Ok(())
}
