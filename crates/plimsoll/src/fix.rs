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
    plimsoll_fs::AtomicWrite::user_file()
        .write(file, &out)
        .err()
        .map(|e| plimsoll_report::RunError {
            kind: "fix-write".into(),
            plugin: None,
            target: Some(path.to_string()),
            message: format!("cannot write fixes to {path}: {e}"),
            line: None,
        })
}
