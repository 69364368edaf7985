//! Fingerprints that survive edits elsewhere in the file: built from the rule,
//! the path and the text of the finding's first line (trimmed), plus the index of
//! this (rule, text) pair among identical ones in the file — never the line
//! number, so inserting a line above a finding keeps its fingerprint.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::{Finding, Location, Report};

/// One fingerprint per finding of the report, in order.
pub fn fingerprints(report: &Report) -> Vec<String> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    report
        .findings
        .iter()
        .map(|f| {
            let base = base(report, f);
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            format!("{base}:{n}")
        })
        .collect()
}

fn base(report: &Report, f: &Finding) -> String {
    let context = match &f.location {
        Location::File { path, region } => {
            let line = report
                .sources
                .get(path)
                .and_then(|s| s.lines().nth(region.start.line.saturating_sub(1) as usize))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default();
            format!("{path}\0{line}")
        }
        Location::Image {
            reference, path, ..
        } => format!("{reference}\0{path}\0{}", f.message),
        Location::Target { target } => format!("{target}\0"),
    };
    let mut h = Sha256::new();
    h.update(f.rule_id.as_bytes());
    h.update([0]);
    h.update(context.as_bytes());
    hex::encode(&h.finalize()[..16])
}
