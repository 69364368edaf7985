//! JSON output (`--format json`): a versioned, documented document. Schema
//! version 1 is described in docs/reference/json-output.md; additions keep the
//! version, removals or renames bump it.

use serde::Serialize;
use serde_json::ser::{Formatter, PrettyFormatter};

use crate::{Finding, Report, blocks::Blocks};

/// Bumped on incompatible changes to this document.
pub const JSON_SCHEMA_VERSION: u32 = 1;

/// The document as one value: what [`write`] writes, member by member.
#[cfg(test)]
#[derive(Serialize)]
struct Document<'a> {
    /// Always `1` for this layout.
    version: u32,
    tool: Tool,
    summary: Summary<'a>,
    findings: &'a [Finding],
    errors: &'a [crate::RunError],
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

/// [`Blocks::tag`] of a target's findings rendered as the document's
/// elements (this layout's version: blocks of another are not reused).
pub const BLOCKS_TAG: u8 = JSON_SCHEMA_VERSION as u8;

/// The document as text.
pub fn render(report: &Report, tool_version: &str, exit_code: i32) -> String {
    let mut out = Vec::new();
    write(report, tool_version, exit_code, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// serde_json's pretty layout (two spaces a level) for a value written
/// `depth` levels into the document.
fn pretty_at(depth: usize) -> PrettyFormatter<'static> {
    let mut f = PrettyFormatter::new();
    for _ in 0..depth {
        // Only moves its indentation in; writes to nothing.
        let _ = f.begin_array(&mut std::io::sink());
    }
    f
}

/// Writes `value` as the document's member at depth one.
fn member(out: &mut impl std::io::Write, value: &impl Serialize) -> std::io::Result<()> {
    value.serialize(&mut serde_json::Serializer::with_formatter(
        out,
        pretty_at(1),
    ))?;
    Ok(())
}

/// Writes `findings` as elements of the document's `findings` array: each
/// on a new line, indented, the elements joined by commas (what serde_json
/// writes between an array's `[` and its last newline).
fn write_elements(findings: &[Finding], out: &mut impl std::io::Write) -> std::io::Result<()> {
    for (i, f) in findings.iter().enumerate() {
        out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
        f.serialize(&mut serde_json::Serializer::with_formatter(
            &mut *out,
            pretty_at(2),
        ))?;
    }
    Ok(())
}

/// One target's findings (in report order) as the document's elements, for
/// [`Report::json_blocks`]: rendered on a worker, kept by the result cache
/// with the target's findings.
pub fn target_blocks(findings: &[Finding]) -> Blocks {
    let mut text = Vec::new();
    write_elements(findings, &mut text).expect("writing to memory");
    Blocks {
        tag: BLOCKS_TAG,
        findings: findings.len(),
        text: String::from_utf8(text)
            .expect("serde_json writes UTF-8")
            .into(),
    }
}

/// Writes the document to `out` as it is serialised (a corpus's report is
/// megabytes: no copy of it is held in memory first); a target's findings
/// are copied from [`Report::json_blocks`] where they were kept for exactly
/// them. The layout is serde_json's pretty one throughout, member by
/// member.
pub fn write(
    report: &Report,
    tool_version: &str,
    exit_code: i32,
    mut out: impl std::io::Write,
) -> std::io::Result<()> {
    let count = |l| report.findings.iter().filter(|f| f.level == l).count();
    let tool = Tool {
        name: "plimsoll",
        version: tool_version.to_string(),
    };
    let summary = Summary {
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
    };
    out.write_all(b"{\n  \"version\": ")?;
    member(&mut out, &JSON_SCHEMA_VERSION)?;
    out.write_all(b",\n  \"tool\": ")?;
    member(&mut out, &tool)?;
    out.write_all(b",\n  \"summary\": ")?;
    member(&mut out, &summary)?;
    out.write_all(b",\n  \"findings\": [")?;
    for (i, (target, run)) in crate::blocks::by_target(&report.findings).enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        match report.json_blocks.get(target) {
            Some(b) if b.tag == BLOCKS_TAG && b.findings == run.len() => {
                out.write_all(b.text.as_bytes())?
            }
            _ => write_elements(&report.findings[run], &mut out)?,
        }
    }
    out.write_all(if report.findings.is_empty() {
        b"]"
    } else {
        b"\n  ]"
    })?;
    out.write_all(b",\n  \"errors\": ")?;
    member(&mut out, &report.errors)?;
    // With `--fix`: the findings whose fixes were applied, as reported
    // before the fix (a stale pin's `pinned_digest` and `current_digest`,
    // the vulnerabilities the update fixes).
    out.write_all(b",\n  \"fixes_applied\": ")?;
    member(&mut out, &report.applied)?;
    out.write_all(b"\n}\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Level, Location, RunError};

    /// The document as serde_json writes [`Document`] in one call.
    fn whole(report: &Report, exit_code: i32) -> String {
        let count = |l| report.findings.iter().filter(|f| f.level == l).count();
        let doc = Document {
            version: JSON_SCHEMA_VERSION,
            tool: Tool {
                name: "plimsoll",
                version: "1.2.3".into(),
            },
            summary: Summary {
                targets: &report.targets,
                findings: report.findings.len(),
                errors: report.errors.len(),
                notes: count(Level::Note),
                warnings: count(Level::Warning),
                error_findings: count(Level::Error),
                fixed: report.fixed,
                updated: report.updated(),
                suppressed: report.suppressed,
                exit_code,
            },
            findings: &report.findings,
            errors: &report.errors,
            fixes_applied: &report.applied,
        };
        serde_json::to_string_pretty(&doc).unwrap() + "\n"
    }

    /// Written member by member (and target by target), the document is
    /// byte for byte what serde_json writes for it as one value: empty,
    /// with findings of several targets (escapes, nested properties, every
    /// kind of location), errors and applied fixes.
    #[test]
    fn written_member_by_member_as_serde_json_writes_the_whole() {
        let file = |path: &str, line| Location::File {
            path: path.into(),
            region: crate::Region {
                start: crate::Position {
                    line,
                    column: 1,
                    offset: 0,
                },
                end: crate::Position {
                    line,
                    column: 4,
                    offset: 3,
                },
            },
        };
        let mut a = Finding::new(
            "PL1",
            Level::Warning,
            "say \"hi\"\t\u{1}é",
            file("a/Dockerfile", 1),
        );
        a.aliases = vec!["DL3007".into()];
        a.covers = Some(vec![]);
        a.properties = Some(serde_json::json!({"x": [1, {"y": null}], "z": {}}));
        a.security_severity = Some(7.5);
        let b = Finding::new("PL2", Level::Error, "", file("a/Dockerfile", 2));
        let c = Finding::new(
            "PL3",
            Level::Note,
            "n",
            Location::Target {
                target: "b/Dockerfile".into(),
            },
        );
        let d = Finding::new(
            "PL4",
            Level::Error,
            "i",
            Location::Image {
                reference: "r/app:1".into(),
                path: "/etc/x".into(),
                layer: Some(3),
            },
        );
        let empty = Report::default();
        let mut full = Report {
            findings: vec![a.clone(), b, c, d],
            errors: vec![RunError {
                kind: "plugin-timeout".into(),
                plugin: Some("corp".into()),
                target: None,
                message: "m".into(),
                line: Some(4),
            }],
            targets: vec!["a/Dockerfile".into(), "b/Dockerfile".into()],
            suppressed: 2,
            fixed: 1,
            applied: vec![a],
            ..Default::default()
        };
        full.sort();
        for r in [&empty, &full] {
            for code in [0, 1, 3] {
                assert_eq!(render(r, "1.2.3", code), whole(r, code));
            }
        }
        // Every target's elements kept as a worker renders them.
        let mut kept = full.clone();
        for (target, run) in crate::blocks::by_target(&full.findings) {
            kept.json_blocks
                .insert(target.to_string(), target_blocks(&full.findings[run]));
        }
        assert_eq!(kept.json_blocks.len(), 3);
        assert_eq!(render(&kept, "1.2.3", 1), whole(&full, 1));
    }
}
