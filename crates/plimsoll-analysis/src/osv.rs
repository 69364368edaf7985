//! Matching installed packages against plimsoll's OSV database (needs the
//! `vulnerabilities` capability): which package is asked about (the source
//! package for Debian and Alpine, whose records name sources), in which
//! ecosystem, and whether its version falls in a record's ranges by the
//! ecosystem's own ordering. The scan plugin and the pin plugin's
//! base-update advice both use it.

use std::collections::BTreeMap;

use plimsoll_plugin_sdk::installed::{Inventory, Package};
use plimsoll_plugin_sdk::vulnerabilities::query;
pub use plimsoll_plugin_sdk::vulnerabilities::{
    AffectedRange, HostError, RangeEvent, Vulnerability,
};

use crate::versions::Scheme;

/// Whether `version` is affected by `v` in `scheme`, and the version that
/// fixes it (the first `fixed` above it).
pub fn affected(v: &Vulnerability, scheme: Scheme, version: &str) -> (bool, Option<String>) {
    if v.versions.iter().any(|x| x == version) {
        return (true, None);
    }
    let cmp = |a: &str, b: &str| scheme.compare(a, b);
    let mut hit = false;
    let mut fix: Option<String> = None;
    for r in v
        .ranges
        .iter()
        .filter(|r| r.kind == "ECOSYSTEM" || r.kind == "SEMVER")
    {
        let mut inside = false;
        for e in &r.events {
            if let Some(i) = &e.introduced
                && (i == "0" || cmp(version, i).is_some_and(|o| o.is_ge()))
            {
                inside = true;
            }
            if let Some(f) = &e.fixed
                && inside
                && cmp(version, f).is_some_and(|o| o.is_ge())
            {
                inside = false;
            }
            if let Some(l) = &e.last_affected
                && inside
                && cmp(version, l).is_some_and(|o| o.is_gt())
            {
                inside = false;
            }
        }
        if inside {
            hit = true;
            fix = r
                .events
                .iter()
                .filter_map(|e| e.fixed.clone())
                .find(|f| cmp(version, f).is_some_and(|o| o.is_lt()));
        }
    }
    (hit, fix)
}

/// The OSV ecosystem and version scheme of a package of `kind` (`dpkg`,
/// `apk`, `rpm`, `python`, `npm`, `go`) in a distribution whose ecosystem
/// is `os_ecosystem` (`Debian:12`).
pub fn ecosystem(kind: &str, os_ecosystem: Option<&str>) -> Option<(String, Scheme)> {
    let eco = match kind {
        "dpkg" | "apk" | "rpm" => os_ecosystem?.to_string(),
        "python" => "PyPI".into(),
        "npm" => "npm".into(),
        "go" => "Go".into(),
        _ => return None,
    };
    let scheme = Scheme::for_ecosystem(&eco)?;
    // A dpkg database in an image that says it is Alpine is not matched
    // against Alpine's records.
    let fits = match kind {
        "dpkg" => scheme == Scheme::Deb,
        "apk" => scheme == Scheme::Apk,
        "rpm" => scheme == Scheme::Rpm,
        _ => true,
    };
    fits.then_some((eco, scheme))
}

/// Packages of the distribution that [`matches`] cannot look up (no
/// vulnerability data for it, or a package database of another family):
/// (kind, count).
pub fn unmatched_os_packages(inventory: &Inventory) -> Vec<(String, usize)> {
    let os_eco = inventory.os.as_ref().and_then(|o| o.ecosystem.as_deref());
    let mut out: Vec<(String, usize)> = Vec::new();
    for p in &inventory.packages {
        if matches!(p.kind.as_str(), "dpkg" | "apk" | "rpm") && ecosystem(&p.kind, os_eco).is_none()
        {
            match out.iter_mut().find(|(k, _)| *k == p.kind) {
                Some((_, n)) => *n += 1,
                None => out.push((p.kind.clone(), 1)),
            }
        }
    }
    out
}

/// One vulnerability of one (source) package, with the binaries it covers.
#[derive(Debug, Clone)]
pub struct Match {
    pub vulnerability: Vulnerability,
    /// `Debian:12`, `PyPI`.
    pub ecosystem: String,
    /// The name asked about: the source package for dpkg and apk.
    pub package: String,
    /// The installed packages built from it.
    pub binaries: Vec<Package>,
    /// The installed version (of the first binary).
    pub installed: String,
    /// The first version that fixes it, if any.
    pub fixed: Option<String>,
}

/// The CVE a distribution's per-CVE record stands for:
/// `DEBIAN-CVE-2023-5363` and `UBUNTU-CVE-2023-5363` -> `CVE-2023-5363`.
pub fn cve_of(id: &str) -> Option<&str> {
    if id.starts_with("CVE-") {
        return Some(id);
    }
    id.find("-CVE-").map(|i| &id[i + 1..])
}

/// One record per vulnerability of a package: OSV publishes Debian's data
/// twice (a `DEBIAN-CVE-…` record per CVE and a `DSA-…`/`DLA-…` advisory
/// naming several), and CVE records may sit beside them. Records for the
/// same CVE are one (the first with a score wins); an advisory whose CVEs
/// all have their own record adds nothing and is dropped.
fn one_per_vulnerability(
    hits: Vec<(Vulnerability, Option<String>)>,
) -> Vec<(Vulnerability, Option<String>)> {
    use std::collections::BTreeSet;
    let per_cve: BTreeSet<String> = hits
        .iter()
        .filter_map(|(v, _)| cve_of(&v.id).map(str::to_string))
        .collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut sorted = hits;
    // Scored records first, so that the kept one of a CVE has a score.
    sorted.sort_by_key(|(v, _)| v.score.is_none());
    let mut out = Vec::new();
    for (v, fixed) in sorted {
        match cve_of(&v.id) {
            Some(cve) => {
                if seen.insert(cve.to_string()) {
                    out.push((v, fixed));
                }
            }
            None => {
                let cves: Vec<&String> =
                    v.aliases.iter().filter(|a| a.starts_with("CVE-")).collect();
                if cves.is_empty() || !cves.iter().all(|c| per_cve.contains(*c)) {
                    out.push((v, fixed));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    out
}

/// Every vulnerability of every package in `inventory`, one per (source
/// package, vulnerability). Packages of ecosystems with no known scheme are
/// skipped; a query that fails ends the match with its error.
pub fn matches(inventory: &Inventory) -> Result<Vec<Match>, HostError> {
    let os_eco = inventory.os.as_ref().and_then(|o| o.ecosystem.as_deref());
    // (ecosystem, queried name, version) -> binaries, one query each.
    let mut groups: BTreeMap<(String, String, String), (Scheme, Vec<&Package>)> = BTreeMap::new();
    for p in &inventory.packages {
        let Some((eco, scheme)) = ecosystem(&p.kind, os_eco) else {
            continue;
        };
        // Debian and Alpine records name source packages; RPM distributions'
        // records name binary packages.
        let (name, version) = match p.kind.as_str() {
            "dpkg" | "apk" => (
                p.source.clone().unwrap_or_else(|| p.name.clone()),
                p.source_version
                    .clone()
                    .unwrap_or_else(|| p.version.clone()),
            ),
            _ => (p.name.clone(), p.version.clone()),
        };
        groups
            .entry((eco, name, version))
            .or_insert_with(|| (scheme, Vec::new()))
            .1
            .push(p);
    }
    let mut out = Vec::new();
    for ((eco, name, version), (scheme, binaries)) in groups {
        let mut hits = Vec::new();
        for v in query(&eco, &name)? {
            let (hit, fixed) = affected(&v, scheme, &version);
            if hit {
                hits.push((v, fixed));
            }
        }
        for (v, fixed) in one_per_vulnerability(hits) {
            out.push(Match {
                vulnerability: v,
                ecosystem: eco.clone(),
                package: name.clone(),
                installed: binaries
                    .first()
                    .map(|b| b.version.clone())
                    .unwrap_or_else(|| version.clone()),
                binaries: binaries.iter().map(|b| (*b).clone()).collect(),
                fixed,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(introduced: Option<&str>, fixed: Option<&str>, last: Option<&str>) -> RangeEvent {
        RangeEvent {
            introduced: introduced.map(str::to_string),
            fixed: fixed.map(str::to_string),
            last_affected: last.map(str::to_string),
            limit: None,
        }
    }

    pub(crate) fn vuln(id: &str, events: Vec<RangeEvent>, versions: &[&str]) -> Vulnerability {
        Vulnerability {
            id: id.into(),
            aliases: vec![],
            summary: String::new(),
            score: Some(7.5),
            vector: None,
            severity: None,
            ranges: vec![AffectedRange {
                kind: "ECOSYSTEM".into(),
                events,
            }],
            versions: versions.iter().map(|v| v.to_string()).collect(),
            references: vec![],
        }
    }

    #[test]
    fn ranges_follow_the_ecosystem_ordering() {
        let v = vuln(
            "CVE-0",
            vec![
                ev(Some("0"), None, None),
                ev(None, Some("3.0.11-1~deb12u2"), None),
            ],
            &[],
        );
        assert_eq!(
            affected(&v, Scheme::Deb, "3.0.11-1~deb12u1"),
            (true, Some("3.0.11-1~deb12u2".into()))
        );
        assert!(!affected(&v, Scheme::Deb, "3.0.11-1~deb12u2").0);
        assert!(
            !affected(&v, Scheme::Deb, "3.0.11-1").0,
            "~ sorts before the release"
        );
        // introduced..last_affected, and two ranges in one.
        let v = vuln(
            "CVE-0",
            vec![
                ev(Some("1.2.0"), None, None),
                ev(None, None, Some("1.2.5")),
                ev(Some("2.0.0"), None, None),
                ev(None, Some("2.0.3"), None),
            ],
            &[],
        );
        assert!(!affected(&v, Scheme::Semver, "1.1.9").0);
        assert!(affected(&v, Scheme::Semver, "1.2.5").0);
        assert!(!affected(&v, Scheme::Semver, "1.2.6").0);
        assert_eq!(
            affected(&v, Scheme::Semver, "2.0.1"),
            (true, Some("2.0.3".into()))
        );
        // Explicit versions.
        let v = vuln("CVE-0", vec![], &["1.0"]);
        assert!(affected(&v, Scheme::Pep440, "1.0").0);
    }

    #[test]
    fn debian_records_published_twice_are_one_finding() {
        let range = || {
            vec![
                ev(Some("0"), None, None),
                ev(None, Some("3.0.11-1~deb12u2"), None),
            ]
        };
        let mut per_cve = vuln("DEBIAN-CVE-2023-5363", range(), &[]);
        per_cve.aliases = vec!["CVE-2023-5363".into()];
        per_cve.score = None;
        let mut cve = vuln("CVE-2023-5363", range(), &[]);
        cve.score = Some(7.5);
        let mut dsa = vuln("DSA-5532-1", range(), &[]);
        dsa.aliases = vec!["CVE-2023-5363".into()];
        let mut dsa_more = vuln("DSA-9999-1", range(), &[]);
        dsa_more.aliases = vec!["CVE-2023-5363".into(), "CVE-2099-0001".into()];
        let kept: Vec<String> = one_per_vulnerability(
            [per_cve, cve, dsa, dsa_more]
                .into_iter()
                .map(|v| (v, None))
                .collect(),
        )
        .into_iter()
        .map(|(v, _)| v.id)
        .collect();
        assert_eq!(
            kept,
            vec!["CVE-2023-5363", "DSA-9999-1"],
            "the scored CVE record stands for its DEBIAN-CVE twin; DSA-5532-1 adds nothing, DSA-9999-1 names a CVE with no record"
        );
        assert_eq!(cve_of("UBUNTU-CVE-2024-0727"), Some("CVE-2024-0727"));
        assert_eq!(cve_of("GHSA-xxxx"), None);
    }

    #[test]
    fn binaries_of_one_source_are_one_match() {
        use plimsoll_plugin_sdk::installed::OsRelease;
        let pkg = |name: &str| Package {
            kind: "dpkg".into(),
            name: name.into(),
            version: "3.0.11-1~deb12u1".into(),
            source: Some("openssl".into()),
            source_version: None,
            arch: None,
            license: None,
            location: "var/lib/dpkg/status".into(),
            purl: String::new(),
        };
        let inv = Inventory {
            os: Some(OsRelease {
                id: "debian".into(),
                version_id: "12".into(),
                ecosystem: Some("Debian:12".into()),
            }),
            packages: vec![pkg("libssl3"), pkg("openssl")],
            unsupported: vec![],
        };
        plimsoll_plugin_sdk::vulnerabilities::testing::clear();
        assert!(matches!(matches(&inv), Err(HostError::NotFound(_))));
        plimsoll_plugin_sdk::vulnerabilities::testing::add_record(
            "Debian:12",
            "openssl",
            vuln(
                "CVE-2023-5363",
                vec![
                    ev(Some("0"), None, None),
                    ev(None, Some("3.0.11-1~deb12u2"), None),
                ],
                &[],
            ),
        );
        let m = matches(&inv).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].package, "openssl");
        assert_eq!(m[0].binaries.len(), 2);
        assert_eq!(m[0].fixed.as_deref(), Some("3.0.11-1~deb12u2"));
    }
}
