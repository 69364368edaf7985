//! Applying fixes: non-overlapping edits from the chosen fixes, the result must
//! still parse, and the file is replaced atomically.

use std::path::Path;

use plimsoll_report::{Applicability, Edit, Finding};

/// The edits of the first applicable fix of each finding, skipping any fix that
/// overlaps one already taken. Returns the edits and the indices of the
/// findings they fix.
pub fn choose_edits(findings: &[Finding], unsafe_fixes: bool) -> (Vec<Edit>, Vec<usize>) {
    let mut chosen: Vec<Edit> = Vec::new();
    let mut fixed = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        let Some(fix) = f.fixes.iter().find(|x| {
            !x.edits.is_empty()
                && (x.applicability == Applicability::Safe
                    || (unsafe_fixes && x.applicability == Applicability::Unsafe))
        }) else {
            continue;
        };
        let overlaps = fix.edits.iter().any(|e| {
            chosen.iter().any(|c| {
                (e.start < c.end && c.start < e.end)
                    || (e.start == e.end && e.start == c.start)
                    || (c.start == c.end && c.start == e.start)
            })
        });
        let self_overlap = fix.edits.iter().enumerate().any(|(i, a)| {
            fix.edits
                .iter()
                .skip(i + 1)
                .any(|b| a.start < b.end && b.start < a.end)
        });
        if overlaps || self_overlap {
            continue;
        }
        chosen.extend(fix.edits.iter().cloned());
        fixed.push(i);
    }
    chosen.sort_by_key(|e| (e.start, e.end));
    (chosen, fixed)
}

/// Applies sorted, non-overlapping edits.
pub fn apply(text: &str, edits: &[Edit]) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for e in edits {
        if e.start < pos
            || e.end > text.len()
            || !text.is_char_boundary(e.start)
            || !text.is_char_boundary(e.end)
        {
            return None;
        }
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.replacement);
        pos = e.end;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

/// Writes a fixed text to `file` (shown as `path`), with the byte-order mark
/// the file had; the run error when it cannot.
pub fn write_fixed(
    file: &Path,
    path: &str,
    had_bom: bool,
    text: &str,
) -> Option<plimsoll_report::RunError> {
    let mut out = Vec::with_capacity(text.len() + 3);
    if had_bom {
        out.extend_from_slice(b"\xEF\xBB\xBF");
    }
    out.extend_from_slice(text.as_bytes());
    write_atomically(file, &out)
        .err()
        .map(|e| plimsoll_report::RunError {
            kind: "fix-write".into(),
            plugin: None,
            target: Some(path.to_string()),
            message: format!("cannot write fixes to {path}: {e}"),
            line: None,
        })
}

/// Replaces `path` with `bytes` atomically (same directory, then rename), keeping
/// its permissions.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // `-o /dev/null` or a named pipe: write through. Renaming a temp file over
    // them would replace the device node with a regular file (it did, once,
    // and every later `> /dev/null` on the machine wrote into that file).
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        if meta.is_dir() {
            return Err(std::io::Error::other("is a directory"));
        }
        let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
        return std::io::Write::write_all(&mut f, bytes);
    }
    // A symlinked file stays a symlink: replace what it points to.
    let resolved;
    let path = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            resolved = std::fs::canonicalize(path)?;
            resolved.as_path()
        }
        _ => path,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, bytes)?;
    match std::fs::metadata(path) {
        Ok(meta) => {
            let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
        }
        // A new file gets what `>` would give it (0666 less the umask), not
        // the temp file's private 0600.
        #[cfg(unix)]
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(
                tmp.path(),
                std::fs::Permissions::from_mode(0o666 & !umask()),
            );
        }
        #[cfg(not(unix))]
        Err(_) => {}
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
