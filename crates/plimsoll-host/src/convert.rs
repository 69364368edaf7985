//! Between the parser/report models and the WIT types: documents into plugins,
//! findings out of them (validated: a plugin cannot point outside the file or
//! report a rule it did not declare).

use std::collections::HashMap;

use plimsoll_dockerfile as df;
use plimsoll_report as report;

use crate::bindings::plimsoll::plugin::{dockerfile as wd, manifest as wm, types as wt};

pub(crate) fn document(doc: &df::Dockerfile, path: &str) -> wd::Document {
    let span = |s: df::Span| span_of(doc, s);
    let flag = |f: &df::Flag| wd::Flag {
        name: f.name.clone(),
        value: f.value.clone(),
        span: span(f.span),
    };
    let instruction = |i: &df::Instruction| wd::Instruction {
        keyword: i.keyword.clone(),
        flags: i.flags.iter().map(flag).collect(),
        args: i.args.clone(),
        json_form: i.json,
        heredocs: i
            .heredocs
            .iter()
            .map(|h| wd::Heredoc {
                name: h.name.clone(),
                content: h.content.clone(),
                expand: h.expand,
                strip_tabs: h.chomp,
                fd: h.fd,
                span: span(h.span),
            })
            .collect(),
        onbuild: i.onbuild.as_ref().map(|t| wd::OnbuildTrigger {
            keyword: t.keyword.clone(),
            flags: t.flags.iter().map(flag).collect(),
            args: t.args.clone(),
            json_form: t.json,
        }),
        stage: i.stage.map(|s| s as u32),
        span: span(i.span),
        args_span: span(i.args_span),
    };
    wd::Document {
        path: path.to_string(),
        text: doc.text.clone(),
        directives: doc
            .directives
            .iter()
            .map(|d| (d.name.clone(), d.value.clone()))
            .collect(),
        instructions: doc.instructions.iter().map(instruction).collect(),
        stages: doc
            .stages
            .iter()
            .map(|s| wd::Stage {
                index: s.index as u32,
                name: s.name.clone(),
                base: s.base.clone(),
                base_as_written: s.base_as_written.clone(),
                base_span: span(s.base_span),
                base_stage: s.base_stage.map(|b| b as u32),
                platform: s.platform.clone(),
                span: span(doc.instructions[s.from].span),
            })
            .collect(),
        global_args: doc
            .global_args
            .iter()
            .map(|a| (a.name.clone(), a.default.clone()))
            .collect(),
    }
}

/// A manifest as the WIT carries it.
pub(crate) fn manifest(m: &crate::ManifestTarget, path: &str) -> wm::Manifest {
    let span = |(start, end): (usize, usize)| {
        let p = |o: usize| {
            let p = m.lines.position(&m.text, o);
            wt::Position {
                line: p.line,
                column: p.column,
                offset: p.offset,
            }
        };
        wt::Span {
            start: p(start),
            end: p(end),
        }
    };
    wm::Manifest {
        path: path.to_string(),
        kind: m.manifest.kind.as_str().to_string(),
        text: m.text.clone(),
        images: m
            .manifest
            .images
            .iter()
            .map(|i| wm::ImageReference {
                reference: i.reference.clone(),
                span: span(i.span),
                edit_span: i.edit_span.map(span),
                field: i.field.clone(),
                unresolved: i.unresolved.clone(),
            })
            .collect(),
    }
}

fn span_of(doc: &df::Dockerfile, s: df::Span) -> wt::Span {
    let p = |o: usize| {
        let p = doc.position(o);
        wt::Position {
            line: p.line,
            column: p.column,
            offset: p.offset,
        }
    };
    wt::Span {
        start: p(s.start),
        end: p(s.end),
    }
}

pub(crate) fn level(l: wt::Level) -> report::Level {
    match l {
        wt::Level::Note => report::Level::Note,
        wt::Level::Warning => report::Level::Warning,
        wt::Level::Error => report::Level::Error,
    }
}

/// The rules a plugin declared, by id.
pub(crate) type RuleTable = HashMap<String, report::RuleInfo>;

/// Where a finding may point: the checked file (image targets come with the
/// `image` interface).
pub(crate) enum TargetText<'a> {
    /// A Dockerfile or a manifest: its text and line index.
    File {
        path: &'a str,
        text: &'a str,
        lines: &'a df::LineIndex,
    },
    Image {
        reference: &'a str,
    },
}

pub(crate) const MAX_MESSAGE_BYTES: usize = 4096;

/// Converts and validates one finding.
pub(crate) fn finding(
    plugin: &str,
    rules: &RuleTable,
    target: &TargetText<'_>,
    f: wt::Finding,
) -> Result<report::Finding, String> {
    let rule = rules.get(&f.rule_id).ok_or_else(|| {
        format!(
            "reported rule `{}`, which its metadata does not declare",
            f.rule_id
        )
    })?;
    let location = match (f.location, target) {
        (wt::Location::File(span), TargetText::File { path, text, lines }) => {
            report::Location::File {
                path: path.to_string(),
                region: region(text, lines, &span)?,
            }
        }
        (wt::Location::Image(_), TargetText::File { .. }) => {
            return Err("pointed into an image while checking a Dockerfile".into());
        }
        (wt::Location::Target, TargetText::File { path, .. }) => report::Location::Target {
            target: path.to_string(),
        },
        (wt::Location::File(_), TargetText::Image { .. }) => {
            return Err("pointed into a Dockerfile while checking an image".into());
        }
        (wt::Location::Image(p), TargetText::Image { reference }) => {
            if p.path.len() > 4096 || p.path.contains('\0') {
                return Err("image path is longer than 4096 bytes or contains NUL".into());
            }
            report::Location::Image {
                reference: reference.to_string(),
                path: p.path,
                layer: p.layer,
            }
        }
        (wt::Location::Target, TargetText::Image { reference }) => report::Location::Target {
            target: reference.to_string(),
        },
    };
    let mut fixes = Vec::new();
    for fix in f.fixes {
        let (text, lines) = match target {
            TargetText::File { text, lines, .. } => (*text, *lines),
            TargetText::Image { .. } if fix.edits.is_empty() => {
                fixes.push(report::Fix {
                    description: fix.description,
                    applicability: report::Applicability::DisplayOnly,
                    edits: Vec::new(),
                });
                continue;
            }
            TargetText::Image { .. } => {
                return Err("a fix edits text while checking an image".into());
            }
        };
        let mut edits = Vec::new();
        for e in fix.edits {
            let r = region(text, lines, &e.span)?;
            edits.push(report::Edit {
                start: r.start.offset as usize,
                end: r.end.offset as usize,
                replacement: e.replacement,
            });
        }
        fixes.push(report::Fix {
            description: fix.description,
            applicability: match fix.applicability {
                wt::Applicability::Safe => report::Applicability::Safe,
                wt::Applicability::Unsafe => report::Applicability::Unsafe,
                wt::Applicability::DisplayOnly => report::Applicability::DisplayOnly,
            },
            edits,
        });
    }
    if let Some(s) = f.security_severity
        && !(0.0..=10.0).contains(&s)
    {
        return Err(format!("security-severity {s} is outside 0.0-10.0"));
    }
    let mut properties = match f.properties {
        None => None,
        Some(p) => match serde_json::from_str::<serde_json::Value>(&p) {
            Ok(v @ serde_json::Value::Object(_)) => Some(v),
            Ok(_) => return Err("properties is JSON but not an object".into()),
            Err(e) => return Err(format!("properties is not JSON: {e}")),
        },
    };
    // `covers`: the subset of the rule's aliases this finding corresponds to.
    let covers = match properties
        .as_mut()
        .and_then(|p| p.as_object_mut())
        .and_then(|p| p.remove("covers"))
    {
        None => None,
        Some(serde_json::Value::Array(ids)) => {
            let ids: Vec<String> = ids
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            if let Some(bad) = ids.iter().find(|id| !rule.aliases.contains(id)) {
                return Err(format!(
                    "finding of `{}` covers `{bad}`, which is not one of the rule's aliases",
                    rule.id
                ));
            }
            Some(ids)
        }
        Some(_) => return Err("properties.covers must be a list of peer ids".into()),
    };
    if properties
        .as_ref()
        .and_then(|p| p.as_object())
        .is_some_and(|p| p.is_empty())
    {
        properties = None;
    }
    let mut message = f.message;
    if message.trim().is_empty() {
        return Err(format!("reported `{}` with an empty message", f.rule_id));
    }
    report::text::truncate_with_ellipsis(&mut message, MAX_MESSAGE_BYTES);
    Ok(report::Finding {
        rule_id: f.rule_id,
        rule_name: rule.name.clone(),
        plugin: plugin.to_string(),
        level: level(f.level),
        message,
        location,
        aliases: rule.aliases.clone(),
        covers,
        tags: rule.tags.clone(),
        fixes,
        security_severity: f.security_severity,
        help_uri: f.help_uri.or_else(|| Some(rule.help_uri())),
        properties,
    })
}

/// A span from a plugin, checked against the file. Offsets are authoritative; a
/// plugin that can only count lines and columns (offset 0 past line 1) gets its
/// offset computed here.
fn region(text: &str, lines: &df::LineIndex, s: &wt::Span) -> Result<report::Region, String> {
    let offset = |p: &wt::Position| -> Result<usize, String> {
        if p.offset == 0 && (p.line > 1 || p.column > 1) {
            return offset_of_line_col(text, lines, p.line, p.column).ok_or_else(|| {
                format!(
                    "position {}:{} is outside the file ({} lines)",
                    p.line,
                    p.column,
                    lines.line_count(text)
                )
            });
        }
        let o = p.offset as usize;
        if o > text.len() || !text.is_char_boundary(o) {
            return Err(format!(
                "offset {o} is outside the file ({} bytes) or inside a character",
                text.len()
            ));
        }
        Ok(o)
    };
    let (start, end) = (offset(&s.start)?, offset(&s.end)?);
    if start > end {
        return Err(format!("span starts at {start} but ends at {end}"));
    }
    let pos = |o: usize| {
        let p = lines.position(text, o);
        report::Position {
            line: p.line,
            column: p.column,
            offset: p.offset,
        }
    };
    Ok(report::Region {
        start: pos(start),
        end: pos(end),
    })
}

fn offset_of_line_col(text: &str, lines: &df::LineIndex, line: u32, column: u32) -> Option<usize> {
    let line = line.max(1) as usize;
    if line > lines.line_count(text).max(1) + 1 {
        return None;
    }
    let span = lines.line_span(text, line);
    let text = span.slice(text);
    let col = column.max(1) as usize - 1;
    match text.char_indices().nth(col) {
        Some((i, _)) => Some(span.start + i),
        None if col <= text.chars().count() => Some(span.end),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RuleTable {
        let rule = report::RuleInfo {
            id: "X1".into(),
            name: "x".into(),
            plugin: "p".into(),
            summary: "x".into(),
            default_level: report::Level::Warning,
            aliases: vec![],
            tags: vec![],
            added_in: "2026.11".into(),
            docs: String::new(),
        };
        HashMap::from([("X1".to_string(), rule)])
    }

    fn finding(location: wt::Location, fixes: Vec<wt::Fix>) -> wt::Finding {
        wt::Finding {
            rule_id: "X1".into(),
            level: wt::Level::Error,
            message: "m".into(),
            location,
            fixes,
            security_severity: None,
            help_uri: None,
            properties: None,
        }
    }

    fn zero() -> wt::Span {
        let p = wt::Position {
            line: 1,
            column: 1,
            offset: 0,
        };
        wt::Span { start: p, end: p }
    }

    /// An image check may point at the image or a path in it, never into a
    /// Dockerfile, and its fixes cannot edit text.
    #[test]
    fn image_targets_refuse_file_locations_and_text_edits() {
        let target = TargetText::Image {
            reference: "alpine:3.19",
        };
        let t = table();
        let ok = super::finding("p", &t, &target, finding(wt::Location::Target, vec![])).unwrap();
        assert_eq!(
            ok.location,
            report::Location::Target {
                target: "alpine:3.19".into()
            }
        );
        let at = wt::Location::Image(wt::ImagePath {
            path: "/etc/passwd".into(),
            layer: Some(2),
        });
        let ok = super::finding("p", &t, &target, finding(at, vec![])).unwrap();
        assert_eq!(
            ok.location,
            report::Location::Image {
                reference: "alpine:3.19".into(),
                path: "/etc/passwd".into(),
                layer: Some(2)
            }
        );
        let e = super::finding(
            "p",
            &t,
            &target,
            finding(wt::Location::File(zero()), vec![]),
        )
        .unwrap_err();
        assert!(e.contains("Dockerfile"), "{e}");
        let edit = wt::Fix {
            description: "d".into(),
            edits: vec![wt::TextEdit {
                span: zero(),
                replacement: "x".into(),
            }],
            applicability: wt::Applicability::Safe,
        };
        let e = super::finding("p", &t, &target, finding(wt::Location::Target, vec![edit]))
            .unwrap_err();
        assert!(e.contains("edits text"), "{e}");
        // Advice without edits survives, as display-only.
        let advice = wt::Fix {
            description: "rebuild on a signed base".into(),
            edits: vec![],
            applicability: wt::Applicability::Safe,
        };
        let ok = super::finding(
            "p",
            &t,
            &target,
            finding(wt::Location::Target, vec![advice]),
        )
        .unwrap();
        assert_eq!(
            ok.fixes[0].applicability,
            report::Applicability::DisplayOnly
        );
    }
}
