//! Compiled-component cache: `.cwasm` files keyed by the component's sha256
//! and the engine's compatibility hash, written atomically.
//!
//! A `.cwasm` is native code that wasmtime maps executable, and CI caches
//! (actions/cache, GitLab's cache) restore this directory from storage that
//! other jobs can write. So every entry carries an HMAC-SHA256 over the
//! engine key, the component's sha256 and the compiled bytes, keyed by a
//! secret that lives *outside* the cache directory (`cache.key` in the
//! state directory, created 0600 on first use). An entry whose MAC does not
//! verify — swapped for another plugin's, patched, written by another
//! machine, truncated — is recompiled, never run. The file is read once into
//! memory, verified, and deserialised from those same bytes, so it cannot
//! change between the check and the use. A cache or key directory that
//! others may write is not used at all.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasmtime::Engine;
use wasmtime::component::Component;

type HmacSha256 = Hmac<Sha256>;

/// Bytes of the MAC at the start of every entry.
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
        let key = self.mac_key.as_ref()?;
        let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        m.update(b"plimsoll ");
        m.update(domain.as_bytes());
        m.update(b"\0");
        m.update(data);
        Some(m.finalize().into_bytes().into())
    }

    fn path_for(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}-{}.cwasm", self.engine_key))
    }

    /// The MAC of an entry: over the engine key, the component's sha256 and
    /// the compiled bytes.
    fn mac(&self, key: &[u8; 32], sha256: &str, compiled: &[u8]) -> HmacSha256 {
        let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        m.update(self.engine_key.as_bytes());
        m.update(b"\0");
        m.update(sha256.as_bytes());
        m.update(b"\0");
        m.update(compiled);
        m
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
        let mut outcome = CacheOutcome::Miss;
        if let Ok(entry) = std::fs::read(&path) {
            match self.verified(key, sha256, &entry) {
                Some(compiled) => {
                    // SAFETY: these bytes carry a MAC under a key only this
                    // user can read, over this engine's key and this
                    // component's sha256: we wrote them with
                    // `Engine::precompile_component` for this component on
                    // an engine with the same compatibility hash. They were
                    // read once and verified in memory, so they cannot change
                    // between the check and this use.
                    match unsafe { Component::deserialize(engine, compiled) } {
                        Ok(c) => return Ok((c, CacheOutcome::Hit)),
                        Err(e) => {
                            tracing::warn!("discarding cache entry {}: {e}", path.display())
                        }
                    }
                }
                None if self.fresh_key => tracing::info!(
                    "discarding cache entry {}: authentication failed against this machine's new cache key (a cache restored from elsewhere); recompiling",
                    path.display()
                ),
                None => tracing::warn!(
                    "discarding cache entry {}: it was not written by this plimsoll for this plugin (authentication failed)",
                    path.display()
                ),
            }
            let _ = std::fs::remove_file(&path);
            outcome = CacheOutcome::Corrupt;
        }
        let compiled = engine.precompile_component(bytes)?;
        let mut entry = Vec::with_capacity(MAC_LEN + compiled.len());
        entry.extend_from_slice(&self.mac(key, sha256, &compiled).finalize().into_bytes());
        entry.extend_from_slice(&compiled);
        if let Err(e) = write_atomically(&path, &entry) {
            tracing::warn!("cannot write cache entry {}: {e}", path.display());
        }
        // SAFETY: `compiled` was produced just now by this engine.
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        Ok((component, outcome))
    }

    /// The compiled bytes of an entry whose MAC verifies.
    fn verified<'a>(&self, key: &[u8; 32], sha256: &str, entry: &'a [u8]) -> Option<&'a [u8]> {
        if entry.len() <= MAC_LEN {
            return None;
        }
        let (tag, compiled) = entry.split_at(MAC_LEN);
        // Constant-time comparison.
        self.mac(key, sha256, compiled)
            .verify_slice(tag)
            .ok()
            .map(|_| compiled)
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
            create_private_dir(parent)
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
            write_private(key_file, &key)
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

fn create_private_dir(p: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(p)
}

/// Writes a new file readable only by its owner, atomically.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    // Another process may have made the key meanwhile: keep theirs.
    match tmp.persist_noclobber(path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e.error),
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.exists() {
        create_private_dir(dir)?;
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
