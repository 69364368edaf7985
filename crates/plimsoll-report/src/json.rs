//! JSON output (`--format json`): a versioned, documented document. Schema
//! version 1 is described in docs/reference/json-output.md; additions keep the
//! version, removals or renames bump it.

use serde::Serialize;

use crate::{Finding, Report, RunError};

/// Bumped on incompatible changes to this document.
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    /// Always `1` for this layout.
    version: u32,
    tool: Tool,
    summary: Summary<'a>,
    findings: &'a [Finding],
    errors: &'a [RunError],
    /// With `--fix`: the findings whose fixes were applied, as reported
    /// before the fix (a stale pin's `pinned_digest` and `current_digest`,
    /// the vulnerabilities the update fixes).
    fixes_applied: &'a [Finding],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: String,
}

#[derive(Serialize)]
struct Summary<'a> {
    targets: &'a [String],
    findings: usize,
    errors: usize,
    notes: usize,
    warnings: usize,
    error_findings: usize,
    fixed: usize,
    updated: usize,
    suppressed: usize,
    exit_code: i32,
}

/// The document as text.
pub fn render(report: &Report, tool_version: &str, exit_code: i32) -> String {
    let mut out = Vec::new();
    write(report, tool_version, exit_code, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes the document to `out` as it is serialised (a corpus's report is
/// megabytes: no copy of it is held in memory first).
pub fn write(
    report: &Report,
    tool_version: &str,
    exit_code: i32,
    mut out: impl std::io::Write,
) -> std::io::Result<()> {
    let count = |l| report.findings.iter().filter(|f| f.level == l).count();
    let doc = Document {
        version: JSON_SCHEMA_VERSION,
        tool: Tool {
            name: "plimsoll",
            version: tool_version.to_string(),
        },
        summary: Summary {
            targets: &report.targets,
            findings: report.findings.len(),
            errors: report.errors.len(),
            notes: count(crate::Level::Note),
            warnings: count(crate::Level::Warning),
            error_findings: count(crate::Level::Error),
            fixed: report.fixed,
            updated: report.updated(),
            suppressed: report.suppressed,
            exit_code,
        },
        findings: &report.findings,
        errors: &report.errors,
        fixes_applied: &report.applied,
    };
    serde_json::to_writer_pretty(&mut out, &doc)?;
    out.write_all(b"\n")?;
    out.flush()
}
