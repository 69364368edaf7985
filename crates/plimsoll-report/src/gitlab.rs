//! GitLab Code Quality report (`--format gitlab`): the JSON array GitLab reads
//! from a `codequality` artifact — description, check_name, fingerprint,
//! severity, location.path and location.lines.begin (format documented at
//! docs.gitlab.com/ee/ci/testing/code_quality.html, "Implement a custom tool").

use serde_json::{Value, json};

use crate::fingerprint::fingerprints;
use crate::{Level, Location, Report};

pub fn render(report: &Report) -> String {
    let fps = fingerprints(report);
    let mut issues: Vec<Value> = report
        .findings
        .iter()
        .zip(&fps)
        .map(|(f, fp)| {
            let (path, line) = match &f.location {
                Location::File { path, region } => (path.clone(), region.start.line),
                Location::Image { reference, path, .. } => (format!("{reference}:{path}"), 1),
                Location::Target { target } => (target.clone(), 1),
            };
            let severity = match f.level {
                Level::Error if f.security_severity.is_some_and(|s| s >= 9.0) => "blocker",
                Level::Error => "critical",
                Level::Warning => "major",
                Level::Note => "info",
            };
            json!({
                "type": "issue",
                "description": format!("{}: {}", f.rule_id, f.message),
                "check_name": f.rule_id,
                "fingerprint": fp,
                "severity": severity,
                "categories": if f.tags.iter().any(|t| t == "security") { vec!["Security"] } else { vec!["Style"] },
                "location": { "path": path, "lines": { "begin": line } },
            })
        })
        .collect();
    for (i, e) in report.errors.iter().enumerate() {
        issues.push(json!({
            "type": "issue",
            "description": format!("plimsoll {}: {}", e.kind, e.message.lines().next().unwrap_or("")),
            "check_name": e.kind,
            "fingerprint": format!("error-{}-{i}", e.kind),
            "severity": "blocker",
            "location": { "path": e.target.clone().unwrap_or_else(|| "plimsoll.toml".into()), "lines": { "begin": e.line.unwrap_or(1) } },
        }));
    }
    let mut s = serde_json::to_string_pretty(&issues).expect("serialises");
    s.push('\n');
    s
}
