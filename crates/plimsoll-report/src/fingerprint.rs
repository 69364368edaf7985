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

/// A vulnerability finding's (id, package): the `id` and `package`
/// properties the scan plugin sets.
pub fn vulnerability(f: &Finding) -> Option<(&str, &str)> {
    let p = f.properties.as_ref()?;
    Some((p.get("id")?.as_str()?, p.get("package")?.as_str()?))
}

/// An image reference without its tag and digest.
pub fn repository(reference: &str) -> &str {
    let r = reference.split('@').next().unwrap_or(reference);
    let last_slash = r.rfind('/').map_or(0, |i| i + 1);
    match r[last_slash..].find(':') {
        Some(i) => &r[..last_slash + i],
        None => r,
    }
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
        // The repository, not the tag or digest: the same vulnerability of
        // `app:12` and `app@sha256:…` (and `app:${{ github.sha }}` on the next
        // commit) is the same alert.
        Location::Image {
            reference, path, ..
        } => match vulnerability(f) {
            Some((id, package)) => format!("{}\0{package}\0{id}", repository(reference)),
            None => format!("{}\0{path}\0{}", repository(reference), f.message),
        },
        Location::Target { target } => format!("{target}\0"),
    };
    let mut h = Sha256::new();
    h.update(f.rule_id.as_bytes());
    h.update([0]);
    h.update(context.as_bytes());
    hex::encode(&h.finalize()[..16])
}

#[cfg(test)]
mod tests {
    use super::repository;

    #[test]
    fn repositories_drop_tags_and_digests() {
        assert_eq!(repository("app:12"), "app");
        assert_eq!(
            repository("localhost:5000/org/app:1.2@sha256:abc"),
            "localhost:5000/org/app"
        );
        assert_eq!(
            repository("localhost:5000/org/app"),
            "localhost:5000/org/app"
        );
        assert_eq!(repository("app@sha256:abc"), "app");
    }
}
