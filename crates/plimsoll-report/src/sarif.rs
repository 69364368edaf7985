//! SARIF 2.1.0 (`--format sarif`), with what GitHub code scanning reads:
//! `tool.driver.rules` with full descriptions, markdown help and `helpUri`;
//! `security-severity` (as a string) and `tags` on security rules;
//! `partialFingerprints.primaryLocationLineHash`; full regions;
//! `automationDetails.id` as `category/run-id`; run errors as tool execution
//! notifications. Vulnerability findings (properties `id` and `package`, as the
//! scan plugin sets them) get a rule per vulnerability id with that
//! vulnerability's own `security-severity`, as Trivy's SARIF does, so a CVSS
//! 1.8 note is not rated like the run's worst CVE; their fingerprints use the
//! image repository, package and id, so tag and digest runs share alerts. GitHub's limits (25,000 results per run, 10 MB gzipped) are
//! enforced by dropping the lowest-level results first, and the truncation is
//! reported in the log, never silent.

use std::io::Write;

use serde_json::{Value, json};

use crate::fingerprint::fingerprints;
use crate::{Applicability, Level, Location, Report, RuleInfo};

pub const MAX_RESULTS: usize = 25_000;
pub const MAX_GZIP_BYTES: usize = 10 * 1024 * 1024;

/// Options for the SARIF log.
#[derive(Debug, Clone)]
pub struct SarifOptions {
    pub tool_version: String,
    /// `automationDetails.id`: `category/run-id` (GitHub groups analyses by category).
    pub automation_id: String,
}

fn level(l: Level) -> &'static str {
    match l {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "note",
    }
}

/// The highest security severity a rule's findings carry (rules declare none).
fn rule_security_severity(report: &Report, rule: &RuleInfo) -> Option<f32> {
    report
        .findings
        .iter()
        .filter(|f| f.rule_id == rule.id && crate::fingerprint::vulnerability(f).is_none())
        .filter_map(|f| f.security_severity)
        .fold(None, |acc: Option<f32>, s| {
            Some(acc.map_or(s, |a| a.max(s)))
        })
}

fn rule_json(report: &Report, r: &RuleInfo) -> Value {
    let mut tags: Vec<String> = r.tags.clone();
    if !r.aliases.is_empty() {
        tags.extend(r.aliases.iter().cloned());
    }
    let mut props =
        json!({ "tags": tags, "precision": "high", "plugin": r.plugin, "added-in": r.added_in });
    if let Some(s) = rule_security_severity(report, r) {
        props["security-severity"] = Value::String(format!("{:.1}", s.clamp(0.1, 10.0)));
        if !tags.iter().any(|t| t == "security") {
            props["tags"]
                .as_array_mut()
                .expect("array")
                .push(json!("security"));
        }
    }
    // The first paragraph of prose ("What it does"), without Markdown headings.
    let first_para = r
        .docs
        .split("\n\n")
        .map(|p| {
            p.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join(" ")
                .trim()
                .to_string()
        })
        .find(|p| !p.is_empty())
        .unwrap_or_default();
    json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": if first_para.is_empty() { r.summary.clone() } else { first_para } },
        "help": { "text": r.docs, "markdown": r.docs },
        "helpUri": r.help_uri(),
        "defaultConfiguration": { "level": level(r.default_level) },
        "properties": props,
    })
}

/// One SARIF rule per vulnerability id among the findings: (id, rule JSON),
/// in first-seen order. Its severity is the highest score that id carries.
fn vulnerability_rules(report: &Report) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    for f in &report.findings {
        let Some((id, package)) = crate::fingerprint::vulnerability(f) else {
            continue;
        };
        let parent = report.rule(&f.rule_id);
        let severity = f.security_severity.map(|s| s.clamp(0.1, 10.0));
        if let Some((_, rule)) = out.iter_mut().find(|(i, _)| i == id) {
            let old: Option<f32> = rule["properties"]["security-severity"]
                .as_str()
                .and_then(|s| s.parse().ok());
            if let Some(s) = severity.filter(|s| old.is_none_or(|o| *s > o)) {
                rule["properties"]["security-severity"] = json!(format!("{s:.1}"));
            }
            continue;
        }
        let summary = format!("{id} in {package}");
        let mut tags = vec!["security".to_string(), "vulnerability".to_string()];
        tags.extend(parent.map(|p| p.id.clone()));
        let mut rule = json!({
            "id": id,
            "name": id,
            "shortDescription": { "text": summary },
            "fullDescription": { "text": f.message },
            "help": { "text": f.message, "markdown": f.message },
            "defaultConfiguration": { "level": level(f.level) },
            "properties": { "tags": tags, "precision": "high", "plimsoll-rule": f.rule_id },
        });
        if let Some(uri) = f
            .help_uri
            .as_ref()
            .or(parent.map(|p| p.help_uri()).as_ref())
        {
            rule["helpUri"] = json!(uri);
        }
        if let Some(s) = severity {
            rule["properties"]["security-severity"] = json!(format!("{s:.1}"));
        }
        out.push((id.to_string(), rule));
    }
    out
}

/// Renders the report. Returns the SARIF text and, when GitHub's limits forced
/// dropping results, how many were dropped.
pub fn render(report: &Report, opts: &SarifOptions) -> (String, usize) {
    let fps = fingerprints(report);
    let mut order: Vec<usize> = (0..report.findings.len()).collect();
    // Keep the most severe when truncating.
    order.sort_by_key(|&i| std::cmp::Reverse(report.findings[i].level));
    let mut keep = order.len().min(MAX_RESULTS);
    loop {
        let mut kept: Vec<usize> = order[..keep].to_vec();
        kept.sort();
        let dropped = report.findings.len() - keep;
        let text = render_results(report, opts, &kept, &fps, dropped);
        if keep == 0 || gzipped_len(&text) <= MAX_GZIP_BYTES {
            return (text, dropped);
        }
        keep = keep * 9 / 10;
    }
}

fn gzipped_len(text: &str) -> usize {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = enc.write_all(text.as_bytes());
    enc.finish().map(|v| v.len()).unwrap_or(usize::MAX)
}

fn render_results(
    report: &Report,
    opts: &SarifOptions,
    kept: &[usize],
    fps: &[String],
    dropped: usize,
) -> String {
    let vulns = vulnerability_rules(report);
    let rule_index = |id: &str| report.rules.iter().position(|r| r.id == id);
    let vuln_index = |id: &str| {
        vulns
            .iter()
            .position(|(v, _)| v == id)
            .map(|i| report.rules.len() + i)
    };
    let results: Vec<Value> = kept
        .iter()
        .map(|&i| {
            let f = &report.findings[i];
            let (location, logical) = match &f.location {
                Location::File { path, region } => (
                    json!({ "physicalLocation": {
                        "artifactLocation": { "uri": path, "uriBaseId": "%SRCROOT%" },
                        "region": {
                            "startLine": region.start.line.max(1),
                            "startColumn": region.start.column.max(1),
                            "endLine": region.end.line.max(region.start.line).max(1),
                            "endColumn": if region.end.line == region.start.line { region.end.column.max(region.start.column + 1) } else { region.end.column.max(1) },
                        }
                    }}),
                    None,
                ),
                Location::Image { reference, path, layer } => (
                    json!({ "physicalLocation": {
                        "artifactLocation": { "uri": format!("{}/{}", sanitize(reference), path.trim_start_matches('/')) },
                        "region": { "startLine": 1, "startColumn": 1 }
                    }, "logicalLocations": [{ "fullyQualifiedName": format!("{reference}:{path}"), "kind": "resource" }]}),
                    layer.map(|l| json!({ "layer": l })),
                ),
                Location::Target { target } => (
                    json!({ "physicalLocation": {
                        "artifactLocation": { "uri": if report.sources.contains_key(target) { target.clone() } else { sanitize(target) }, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": 1, "startColumn": 1 }
                    }}),
                    None,
                ),
            };
            let vuln = crate::fingerprint::vulnerability(f).map(|(id, _)| id);
            let mut r = json!({
                "ruleId": vuln.unwrap_or(&f.rule_id),
                "level": level(f.level),
                "message": { "text": f.message },
                "locations": [location],
                "partialFingerprints": { "primaryLocationLineHash": fps[i] },
            });
            let index = match vuln {
                Some(id) => vuln_index(id),
                None => rule_index(&f.rule_id),
            };
            if let Some(idx) = index {
                r["ruleIndex"] = json!(idx);
            }
            let mut props = serde_json::Map::new();
            if let Some(s) = f.security_severity {
                props.insert("security-severity".into(), json!(format!("{:.1}", s.clamp(0.1, 10.0))));
            }
            if let Some(Value::Object(p)) = &f.properties {
                props.extend(p.clone());
            }
            if vuln.is_some() {
                props.insert("plimsoll-rule".into(), json!(f.rule_id));
            }
            if let Some(Value::Object(l)) = logical {
                props.extend(l);
            }
            if !props.is_empty() {
                r["properties"] = Value::Object(props);
            }
            let fixes: Vec<Value> = f
                .fixes
                .iter()
                .filter(|x| x.applicability != Applicability::DisplayOnly && !x.edits.is_empty())
                .filter_map(|x| {
                    let Location::File { path, .. } = &f.location else { return None };
                    let src = report.sources.get(path)?;
                    let idx = plimsoll_dockerfile::LineIndex::new(src);
                    Some(json!({
                        "description": { "text": x.description },
                        "artifactChanges": [{
                            "artifactLocation": { "uri": path, "uriBaseId": "%SRCROOT%" },
                            "replacements": x.edits.iter().map(|e| {
                                let start = idx.position(src, e.start);
                                let end = idx.position(src, e.end);
                                json!({
                                    "deletedRegion": { "startLine": start.line, "startColumn": start.column, "endLine": end.line, "endColumn": end.column },
                                    "insertedContent": { "text": e.replacement },
                                })
                            }).collect::<Vec<_>>(),
                        }]
                    }))
                })
                .collect();
            if !fixes.is_empty() {
                r["fixes"] = Value::Array(fixes);
            }
            r
        })
        .collect();
    let mut notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            json!({
                "level": "error",
                "message": { "text": e.message },
                "descriptor": { "id": e.kind },
                "properties": { "plugin": e.plugin, "target": e.target },
            })
        })
        .collect();
    if dropped > 0 {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!("{dropped} results were left out to stay within GitHub code scanning limits ({MAX_RESULTS} results, 10 MB gzipped); the lowest levels went first") },
            "descriptor": { "id": "sarif-truncated" },
        }));
    }
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "plimsoll",
                "version": opts.tool_version,
                "semanticVersion": opts.tool_version,
                "informationUri": crate::DOCS_URL,
                "rules": report.rules.iter().map(|r| rule_json(report, r)).chain(vulns.into_iter().map(|(_, v)| v)).collect::<Vec<_>>(),
            }},
            "automationDetails": { "id": opts.automation_id },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The directory plimsoll ran in." } } },
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "columnKind": "unicodeCodePoints",
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    s.push('\n');
    s
}

/// An image reference as a path-like URI segment.
fn sanitize(reference: &str) -> String {
    reference.replace(['@', ':'], "/")
}
