//! GitLab's container-scanning report (`--format gitlab-container-scanning`,
//! the `container_scanning` artifact, schema 15.0.7): the vulnerabilities the
//! scan plugin found in images (findings with the `id` and `package`
//! properties), so they reach the merge request's security widget and the
//! Security dashboard as Trivy's GitLab template puts them there. Other
//! findings belong to the Code Quality report (`--format gitlab`). A run
//! error makes `scan.status` `failure`, with the error among `scan.messages`.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::fingerprint::{repository, vulnerability};
use crate::{Location, Report};

/// The schema version written (GitLab validates the artifact against it).
pub const SCHEMA_VERSION: &str = "15.0.7";

/// What the report says about the run itself.
#[derive(Debug, Clone)]
pub struct Options {
    pub tool_version: String,
    /// `yyyy-mm-ddThh:mm:ss`, UTC, as the schema asks.
    pub start_time: String,
    pub end_time: String,
}

/// GitLab's severity names from a CVSS base score (CVSS v3's bands).
fn severity(score: Option<f32>) -> &'static str {
    match score {
        None => "Unknown",
        Some(s) if s >= 9.0 => "Critical",
        Some(s) if s >= 7.0 => "High",
        Some(s) if s >= 4.0 => "Medium",
        Some(s) if s > 0.0 => "Low",
        Some(_) => "Info",
    }
}

/// A stable UUID-shaped id from the parts that make a vulnerability the same
/// one across runs (image repository, package, vulnerability id): GitLab
/// tracks findings by it.
fn stable_id(parts: &[&str]) -> String {
    let h = hex::encode(Sha256::digest(parts.join("\0").as_bytes()));
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn identifier(id: &str, url: Option<&str>) -> Value {
    let kind = match id.split('-').next().unwrap_or("") {
        "CVE" => "cve",
        "GHSA" => "ghsa",
        "RUSTSEC" => "rustsec",
        "PYSEC" => "pysec",
        "GO" => "go",
        _ => "osv",
    };
    let mut v = json!({ "type": kind, "name": id, "value": id });
    if let Some(u) = url.filter(|u| u.starts_with("https://") || u.starts_with("http://")) {
        v["url"] = json!(u);
    }
    v
}

pub fn render(report: &Report, opts: &Options) -> String {
    let prop = |f: &crate::Finding, k: &str| -> Option<String> {
        f.properties.as_ref()?.get(k)?.as_str().map(str::to_string)
    };
    let mut vulnerabilities = Vec::new();
    for f in &report.findings {
        let (Some((id, package)), Location::Image { reference, .. }) =
            (vulnerability(f), &f.location)
        else {
            continue;
        };
        let installed = prop(f, "installed").unwrap_or_else(|| "unknown".into());
        let ecosystem = prop(f, "ecosystem").unwrap_or_else(|| "unknown".into());
        let mut identifiers = vec![identifier(id, f.help_uri.as_deref())];
        if let Some(osv) = prop(f, "osv_id").filter(|o| o != id) {
            identifiers.push(identifier(&osv, None));
        }
        let mut v = json!({
            "id": stable_id(&[repository(reference), package, id]),
            "name": format!("{id} in {package}"),
            "description": f.message,
            "severity": severity(f.security_severity),
            "identifiers": identifiers,
            "location": {
                "dependency": { "package": { "name": package }, "version": installed },
                "operating_system": ecosystem,
                "image": reference,
            },
        });
        if let Some(fixed) = prop(f, "fixed").filter(|x| !x.is_empty()) {
            v["solution"] = json!(format!("Upgrade {package} to {fixed}"));
        }
        if let Some(u) = f.help_uri.as_deref().filter(|u| u.starts_with("http")) {
            v["links"] = json!([{ "url": u }]);
        }
        vulnerabilities.push(v);
    }
    let messages: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({ "level": "fatal", "value": e.message }))
        .collect();
    let tool = json!({
        "id": "plimsoll",
        "name": "plimsoll",
        "url": crate::DOCS_URL,
        "version": opts.tool_version,
        "vendor": { "name": "plimsoll" },
    });
    let mut scan = json!({
        "analyzer": tool,
        "scanner": tool,
        "type": "container_scanning",
        "start_time": opts.start_time,
        "end_time": opts.end_time,
        "status": if report.errors.is_empty() { "success" } else { "failure" },
    });
    if !messages.is_empty() {
        scan["messages"] = Value::Array(messages);
    }
    let out = json!({
        "version": SCHEMA_VERSION,
        "scan": scan,
        "vulnerabilities": vulnerabilities,
    });
    let mut s = serde_json::to_string_pretty(&out).expect("serialises");
    s.push('\n');
    s
}
