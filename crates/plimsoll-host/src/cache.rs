//! Compiled-component cache: `.cwasm` files keyed by the component's sha256 and the
//! engine's compatibility hash, written atomically; a corrupt or stale entry is
//! recompiled, never fatal.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use wasmtime::Engine;
use wasmtime::component::Component;

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

#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
    engine_key: String,
}

/// How a component was obtained, for timing reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Miss,
    /// An entry existed but could not be loaded; it was replaced.
    Corrupt,
    Disabled,
}

impl CompileCache {
    pub fn new(dir: PathBuf, engine: &Engine) -> Self {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        CompileCache {
            dir: dir.join("components"),
            engine_key: format!("{:016x}", h.finish()),
        }
    }

    fn path_for(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}-{}.cwasm", self.engine_key))
    }

    /// Loads the component for `bytes` (whose sha256 is `sha256`) from the cache, or
    /// compiles and stores it.
    pub fn load(
        &self,
        engine: &Engine,
        sha256: &str,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let path = self.path_for(sha256);
        let mut outcome = CacheOutcome::Miss;
        if path.exists() {
            // SAFETY: the file is one we wrote with `Engine::precompile_component` for
            // an engine with the same compatibility hash (it is in the name), and it is
            // only ever replaced atomically. wasmtime still validates its header and
            // refuses a truncated or foreign file, which we treat as corrupt.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok((c, CacheOutcome::Hit)),
                Err(e) => {
                    tracing::warn!("discarding corrupt cache entry {}: {e}", path.display());
                    let _ = std::fs::remove_file(&path);
                    outcome = CacheOutcome::Corrupt;
                }
            }
        }
        let compiled = engine.precompile_component(bytes)?;
        if let Err(e) = write_atomically(&path, &compiled) {
            tracing::warn!("cannot write cache entry {}: {e}", path.display());
        }
        // SAFETY: `compiled` was produced just now by this engine.
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        Ok((component, outcome))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
