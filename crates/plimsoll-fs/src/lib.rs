//! Writing a file atomically: the bytes go to a temporary file in the same
//! directory, which is then renamed over the destination, so a reader sees
//! the old file or the new one, never half of one. One helper for every
//! writer in plimsoll (reports, `--fix`, generated pages, the compiled-plugin
//! cache, the registry and result caches, the vulnerability database), each
//! choosing what it needs:
//!
//! ```no_run
//! use plimsoll_fs::AtomicWrite;
//! # fn main() -> std::io::Result<()> {
//! // A cache entry: parent directories made, the file private (0600).
//! AtomicWrite::new().write("cache/entry.json".as_ref(), b"{}")?;
//! // A user's file, as `--fix` rewrites it: its permissions kept, flushed to
//! // disk before the rename, a symlink followed, `/dev/null` written through.
//! AtomicWrite::user_file().write("Dockerfile".as_ref(), b"FROM scratch\n")?;
//! # Ok(()) }
//! ```
//!
//! Written by hand over `tempfile` (which does the temporary file and the
//! rename): what it adds is the few policies plimsoll's writers share.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// How to write one file. [`AtomicWrite::new`] suits caches;
/// [`AtomicWrite::user_file`] suits files people asked for.
#[derive(Debug, Clone, Copy)]
pub struct AtomicWrite {
    user_file: bool,
    durable: bool,
    replace: bool,
    private_dirs: bool,
}

impl Default for AtomicWrite {
    fn default() -> Self {
        Self::new()
    }
}

impl AtomicWrite {
    /// Missing parent directories are created; the new file is readable by
    /// its owner only (0600, the temporary file's mode); an existing file is
    /// replaced; nothing is flushed to disk (a cache can be rebuilt).
    pub const fn new() -> Self {
        AtomicWrite {
            user_file: false,
            durable: false,
            replace: true,
            private_dirs: false,
        }
    }

    /// A file someone asked for (a report, a fixed Dockerfile, a page): an
    /// existing file keeps its permissions and a new one gets what a shell's
    /// `>` would give it (0666 less the umask); a symlink stays a symlink
    /// (what it points to is replaced); a device or pipe (`-o /dev/null`) is
    /// written through, never replaced by a regular file; the bytes reach the
    /// disk before the rename.
    pub const fn user_file() -> Self {
        AtomicWrite {
            user_file: true,
            durable: true,
            replace: true,
            private_dirs: false,
        }
    }

    /// Flush the file to disk before the rename.
    pub const fn durable(mut self) -> Self {
        self.durable = true;
        self
    }

    /// Leave an existing file as it is (another process got there first):
    /// [`AtomicWrite::write`] then succeeds without writing.
    pub const fn keep_existing(mut self) -> Self {
        self.replace = false;
        self
    }

    /// Parent directories that must be created are created 0700.
    pub const fn private_dirs(mut self) -> Self {
        self.private_dirs = true;
        self
    }

    /// Writes `bytes` to `path`.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.write_with(path, |f| f.write_all(bytes))
    }

    /// Writes what `fill` writes into the file to `path` (a serializer
    /// writing straight into the file, several pieces).
    pub fn write_with(
        &self,
        path: &Path,
        fill: impl FnOnce(&mut File) -> io::Result<()>,
    ) -> io::Result<()> {
        if self.user_file {
            // `-o /dev/null` or a named pipe: write through. Renaming a temp
            // file over them would replace the device node with a regular
            // file (it did, once, and every later `> /dev/null` on the
            // machine wrote into that file).
            if let Ok(meta) = std::fs::metadata(path)
                && !meta.is_file()
            {
                if meta.is_dir() {
                    return Err(io::Error::other("is a directory"));
                }
                let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
                return fill(&mut f);
            }
        }
        // A symlinked file stays a symlink: replace what it points to.
        let resolved;
        let path = match std::fs::symlink_metadata(path) {
            Ok(m) if self.user_file && m.file_type().is_symlink() => {
                resolved = std::fs::canonicalize(path)?;
                resolved.as_path()
            }
            _ => path,
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !self.user_file && !dir.is_dir() {
            create_dirs(dir, self.private_dirs)?;
        }
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        fill(tmp.as_file_mut())?;
        if self.user_file {
            keep_permissions(tmp.path(), path);
        }
        if self.durable {
            tmp.as_file().sync_all()?;
        }
        if self.replace {
            tmp.persist(path).map_err(|e| e.error)?;
            return Ok(());
        }
        match tmp.persist_noclobber(path) {
            Ok(_) => Ok(()),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e.error),
        }
    }
}

/// Creates `dir` and its missing parents (0700 when `private`).
pub fn create_dirs(dir: &Path, private: bool) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    if private {
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    }
    #[cfg(not(unix))]
    let _ = private;
    b.create(dir)
}

/// Gives the temporary file `tmp` the permissions of the file it replaces,
/// or those a shell's `>` gives a new file.
fn keep_permissions(tmp: &Path, replaced: &Path) {
    match std::fs::metadata(replaced) {
        Ok(meta) => {
            let _ = std::fs::set_permissions(tmp, meta.permissions());
        }
        #[cfg(unix)]
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            let _ =
                std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(0o666 & !umask()));
        }
        #[cfg(not(unix))]
        Err(_) => {}
    }
}

/// The process umask (read by setting it and putting it back; plimsoll does
/// not create files concurrently with this).
#[cfg(unix)]
fn umask() -> u32 {
    // SAFETY: umask(2) cannot fail and only swaps the process's mask.
    unsafe {
        let old = libc::umask(0o022);
        libc::umask(old);
        #[allow(clippy::useless_conversion)]
        u32::from(old)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_cache_file_is_private_and_its_directories_are_made() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a/b/entry");
        AtomicWrite::new().private_dirs().write(&p, b"one").unwrap();
        AtomicWrite::new().write(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        #[cfg(unix)]
        {
            assert_eq!(mode(&p), 0o600);
            assert_eq!(mode(&d.path().join("a")), 0o700);
        }
    }

    #[test]
    fn keep_existing_leaves_the_first_writer_s_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("key");
        let w = AtomicWrite::new().keep_existing();
        w.write(&p, b"first").unwrap();
        w.write(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"first");
    }

    #[test]
    fn write_with_writes_every_piece() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        AtomicWrite::new()
            .write_with(&p, |f| {
                f.write_all(b"mac\n")?;
                f.write_all(b"{}")
            })
            .unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"mac\n{}");
    }

    #[cfg(unix)]
    #[test]
    fn a_user_file_keeps_its_mode_and_its_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("Dockerfile.real");
        std::fs::write(&target, "old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = d.path().join("Dockerfile");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        AtomicWrite::user_file().write(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(mode(&target), 0o640);
        // A new file gets 0666 less the umask, not the temporary file's 0600.
        let new = d.path().join("report.json");
        AtomicWrite::user_file().write(&new, b"{}").unwrap();
        assert_eq!(mode(&new), 0o666 & !umask());
    }

    #[cfg(unix)]
    #[test]
    fn dev_null_is_written_through_not_replaced() {
        let null = Path::new("/dev/null");
        AtomicWrite::user_file().write(null, b"x").unwrap();
        assert!(!std::fs::metadata(null).unwrap().is_file());
    }

    #[test]
    fn a_directory_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = AtomicWrite::user_file().write(d.path(), b"x").unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }
}
