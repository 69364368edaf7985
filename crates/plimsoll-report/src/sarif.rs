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

use serde::Serialize;
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

/// The log's gzipped size, or an upper bound on it: a log whose text is
/// well under the limit is not compressed to find out (gzip adds at most a
/// few bytes per 64 KiB block, and a header).
fn gzipped_len(text: &str) -> usize {
    let bound = text.len() + text.len() / 1024 + 1024;
    if bound <= MAX_GZIP_BYTES {
        return bound;
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = enc.write_all(text.as_bytes());
    enc.finish().map(|v| v.len()).unwrap_or(usize::MAX)
}

// The log, typed: a corpus's report is ten thousand results, and building
// them as a `serde_json::Value` tree (then freeing it) cost several times
// the writing. Fields are declared in alphabetical order, the order the
// `Value` maps of the parts still built that way (and earlier releases)
// write their keys in.

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    runs: [Run<'a>; 1],
    version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    automation_details: Id<'a>,
    column_kind: &'static str,
    invocations: [Invocation; 1],
    original_uri_base_ids: Value,
    results: Vec<SarifResult<'a>>,
    tool: Value,
}

#[derive(Serialize)]
struct Id<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<Value>,
    level: &'static str,
    locations: [ResultLocation<'a>; 1],
    message: Text<'a>,
    partial_fingerprints: Fingerprints<'a>,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    properties: serde_json::Map<String, Value>,
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultLocation<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    logical_locations: Option<[Logical; 1]>,
    physical_location: Physical<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical {
    fully_qualified_name: String,
    kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical<'a> {
    artifact_location: Artifact<'a>,
    region: SarifRegion,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Artifact<'a> {
    uri: std::borrow::Cow<'a, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifRegion {
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    start_column: u32,
    start_line: u32,
}

impl SarifRegion {
    const START: SarifRegion = SarifRegion {
        end_column: None,
        end_line: None,
        start_column: 1,
        start_line: 1,
    };
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Fingerprints<'a> {
    primary_location_line_hash: &'a str,
}

const SRCROOT: Option<&str> = Some("%SRCROOT%");

fn render_results(
    report: &Report,
    opts: &SarifOptions,
    kept: &[usize],
    fps: &[String],
    dropped: usize,
) -> String {
    let vulns = vulnerability_rules(report);
    let rule_index: std::collections::HashMap<&str, usize> = report
        .rules
        .iter()
        .enumerate()
        .rev()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let vuln_index = |id: &str| {
        vulns
            .iter()
            .position(|(v, _)| v == id)
            .map(|i| report.rules.len() + i)
    };
    // Each file's line index, built once for the fixes in it.
    let mut lines: std::collections::HashMap<&str, plimsoll_dockerfile::LineIndex> =
        std::collections::HashMap::new();
    let results: Vec<SarifResult> = kept
        .iter()
        .map(|&i| {
            let f = &report.findings[i];
            let (physical_location, logical_locations, layer) = match &f.location {
                Location::File { path, region } => (
                    Physical {
                        artifact_location: Artifact {
                            uri: path.as_str().into(),
                            uri_base_id: SRCROOT,
                        },
                        region: SarifRegion {
                            start_line: region.start.line.max(1),
                            start_column: region.start.column.max(1),
                            end_line: Some(region.end.line.max(region.start.line).max(1)),
                            end_column: Some(if region.end.line == region.start.line {
                                region.end.column.max(region.start.column + 1)
                            } else {
                                region.end.column.max(1)
                            }),
                        },
                    },
                    None,
                    None,
                ),
                Location::Image {
                    reference,
                    path,
                    layer,
                } => (
                    Physical {
                        artifact_location: Artifact {
                            uri: format!("{}/{}", sanitize(reference), path.trim_start_matches('/'))
                                .into(),
                            uri_base_id: None,
                        },
                        region: SarifRegion::START,
                    },
                    Some([Logical {
                        fully_qualified_name: format!("{reference}:{path}"),
                        kind: "resource",
                    }]),
                    *layer,
                ),
                Location::Target { target } => (
                    Physical {
                        artifact_location: Artifact {
                            uri: if report.sources.contains_key(target) {
                                target.as_str().into()
                            } else {
                                sanitize(target).into()
                            },
                            uri_base_id: SRCROOT,
                        },
                        region: SarifRegion::START,
                    },
                    None,
                    None,
                ),
            };
            let vuln = crate::fingerprint::vulnerability(f).map(|(id, _)| id);
            let index = match vuln {
                Some(id) => vuln_index(id),
                None => rule_index.get(f.rule_id.as_str()).copied(),
            };
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
            if let Some(l) = layer {
                props.insert("layer".into(), json!(l));
            }
            let fixes: Vec<Value> = f
                .fixes
                .iter()
                .filter(|x| x.applicability != Applicability::DisplayOnly && !x.edits.is_empty())
                .filter_map(|x| {
                    let Location::File { path, .. } = &f.location else { return None };
                    let src = report.sources.get(path)?;
                    let idx = lines
                        .entry(path.as_str())
                        .or_insert_with(|| plimsoll_dockerfile::LineIndex::new(src));
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
            SarifResult {
                fixes,
                level: level(f.level),
                locations: [ResultLocation {
                    logical_locations,
                    physical_location,
                }],
                message: Text { text: &f.message },
                partial_fingerprints: Fingerprints {
                    primary_location_line_hash: &fps[i],
                },
                properties: props,
                rule_id: vuln.unwrap_or(&f.rule_id),
                rule_index: index,
            }
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
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        runs: [Run {
            automation_details: Id {
                id: &opts.automation_id,
            },
            column_kind: "unicodeCodePoints",
            invocations: [Invocation {
                execution_successful: report.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
            original_uri_base_ids: json!({ "%SRCROOT%": { "description": { "text": "The directory plimsoll ran in." } } }),
            results,
            tool: json!({ "driver": {
                "name": "plimsoll",
                "version": opts.tool_version,
                "semanticVersion": opts.tool_version,
                "informationUri": crate::DOCS_URL,
                "rules": report.rules.iter().map(|r| rule_json(report, r)).chain(vulns.into_iter().map(|(_, v)| v)).collect::<Vec<_>>(),
            }}),
        }],
        version: "2.1.0",
    };
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    s.push('\n');
    s
}

/// An image reference as a path-like URI segment.
fn sanitize(reference: &str) -> String {
    reference.replace(['@', ':'], "/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Edit, Finding, Fix, Position, Region};

    fn finding(rule: &str, location: Location) -> Finding {
        Finding {
            rule_name: "a-rule".into(),
            plugin: "scan".into(),
            ..Finding::new(rule, Level::Warning, "m", location)
        }
    }

    /// Each kind of location, a vulnerability's properties, a layer and a
    /// fix come out as SARIF and GitHub read them, keys in order.
    #[test]
    fn results_carry_locations_properties_and_fixes() {
        let at = |line, column, offset| Position {
            line,
            column,
            offset,
        };
        let mut file = finding(
            "PL1",
            Location::File {
                path: "Dockerfile".into(),
                region: Region {
                    start: at(2, 6, 12),
                    end: at(2, 6, 12),
                },
            },
        );
        file.fixes = vec![Fix {
            description: "pin".into(),
            applicability: Applicability::Safe,
            edits: vec![Edit {
                start: 12,
                end: 18,
                replacement: "x".into(),
            }],
        }];
        let mut image = finding(
            "PL5",
            Location::Image {
                reference: "alpine:3.20".into(),
                path: "/lib/apk/db/installed".into(),
                layer: Some(2),
            },
        );
        image.properties = Some(json!({ "id": "CVE-2024-1", "package": "musl" }));
        image.security_severity = Some(9.8);
        let target = finding(
            "PL0",
            Location::Target {
                target: "registry.test/app:1".into(),
            },
        );
        let report = Report {
            findings: vec![file, image, target],
            sources: [(
                "Dockerfile".to_string(),
                "FROM a\nFROM debian:12\n".to_string(),
            )]
            .into(),
            ..Default::default()
        };
        let opts = SarifOptions {
            tool_version: "1.0.0".into(),
            automation_id: "plimsoll/1".into(),
        };
        let (text, dropped) = render(&report, &opts);
        assert_eq!(dropped, 0);
        let log: Value = serde_json::from_str(&text).unwrap();
        let results = &log["runs"][0]["results"];
        let file = &results[0];
        assert_eq!(
            file["locations"][0]["physicalLocation"],
            json!({ "artifactLocation": { "uri": "Dockerfile", "uriBaseId": "%SRCROOT%" },
                    "region": { "startLine": 2, "startColumn": 6, "endLine": 2, "endColumn": 7 } })
        );
        assert_eq!(
            file["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"],
            json!({ "startLine": 2, "startColumn": 6, "endLine": 2, "endColumn": 12 })
        );
        assert!(file.get("properties").is_none() && file.get("ruleIndex").is_none());
        let image = &results[1];
        assert_eq!(image["ruleId"], "CVE-2024-1");
        assert_eq!(
            image["locations"][0],
            json!({ "physicalLocation": { "artifactLocation": { "uri": "alpine/3.20/lib/apk/db/installed" },
                                          "region": { "startLine": 1, "startColumn": 1 } },
                    "logicalLocations": [{ "fullyQualifiedName": "alpine:3.20:/lib/apk/db/installed", "kind": "resource" }] })
        );
        assert_eq!(
            image["properties"],
            json!({ "id": "CVE-2024-1", "package": "musl", "layer": 2, "plimsoll-rule": "PL5", "security-severity": "9.8" })
        );
        // The vulnerability's own rule follows the report's (none here).
        assert_eq!(image["ruleIndex"], 0);
        assert_eq!(
            log["runs"][0]["tool"]["driver"]["rules"][0]["id"],
            "CVE-2024-1"
        );
        assert_eq!(
            results[2]["locations"][0]["physicalLocation"]["artifactLocation"],
            json!({ "uri": "registry.test/app/1", "uriBaseId": "%SRCROOT%" })
        );
        // Keys in the order earlier releases wrote them (alphabetical).
        let keys = [
            "\"fixes\"",
            "\"level\"",
            "\"locations\"",
            "\"message\"",
            "\"partialFingerprints\"",
            "\"ruleId\"",
        ];
        let at: Vec<usize> = keys.iter().map(|k| text.find(k).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    }
}
