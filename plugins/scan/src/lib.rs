//! plimsoll's built-in vulnerability scan (`plimsoll check --image`): reads
//! the image's package databases (dpkg, apk; Python and npm packages), asks
//! the host's OSV database about each (the `vulnerabilities` capability),
//! matches versions with each ecosystem's own ordering, and gates on CVSS.
//!
//! Debian and Alpine records name source packages: binaries built from one
//! source are reported together, once per vulnerability.

mod settings;

use std::collections::BTreeMap;

use plimsoll_packages::{OsRelease, Package};
use plimsoll_plugin_sdk::bindings::plimsoll::plugin::vulnerabilities::{
    self as vul, Vulnerability,
};
use plimsoll_plugin_sdk::installed;
use plimsoll_plugin_sdk::prelude::*;
use plimsoll_plugin_sdk::versions::Scheme;

pub use settings::ScanSettings;

declare_rule! {
    /// ## What it does
    /// Reports packages installed in an image (`plimsoll check --image`) that
    /// a vulnerability in plimsoll's local OSV database affects, with the
    /// CVE/GHSA id, the installed and fixed versions and the CVSS score. An
    /// error when the score is at least `min-cvss` (default 7.0) or the
    /// severity is in `severity`; a note otherwise. Debian and Alpine
    /// vulnerabilities are matched on the source package and reported once
    /// for all the binaries it built.
    ///
    /// ## Why is this bad?
    /// Known, fixable vulnerabilities in a shipped image are the first thing
    /// an attacker tries.
    ///
    /// ## Example
    /// `libssl3 3.0.11-1~deb12u1` in a Debian 12 image: fixed in
    /// `3.0.11-1~deb12u2`.
    ///
    /// ## Use instead
    /// Rebuild on an updated base image (`plimsoll pin --update`), or upgrade
    /// the package. A vulnerability that does not apply can be ignored with a
    /// reason and an expiry date:
    /// ```toml
    /// [[scan.ignore]]
    /// id = "CVE-2024-0727"
    /// until = "2027-01-31"
    /// reason = "no PKCS12 parsing in this service"
    /// ```
    pub static VULNERABLE = Rule {
        id: "PL8001",
        name: "vulnerable-package",
        summary: "An installed package has a known vulnerability",
        level: Level::Error,
        tags: &["security", "vulnerability", "image"],
    };
}

declare_rule! {
    /// ## What it does
    /// Reports a package database the scan cannot read yet (an RPM
    /// database), so that an image whose packages were not checked never
    /// passes silently.
    ///
    /// ## Why is this bad?
    /// Unscanned packages hide vulnerabilities.
    ///
    /// ## Example
    /// A Fedora or UBI image: `var/lib/rpm/rpmdb.sqlite`.
    pub static UNSCANNED = Rule {
        id: "PL8002",
        name: "packages-not-scanned",
        summary: "A package database could not be scanned",
        level: Level::Warning,
        tags: &["vulnerability", "image"],
    };
}

declare_rule! {
    /// ## What it does
    /// Reports installed packages whose licence (from the package database:
    /// apk's `L:`, Debian's machine-readable `copyright` files, Python and
    /// npm metadata, as SPDX ids) is on `[scan.licenses] deny`, or — when
    /// `allow` is set — not on it. Globs: `GPL-3.0-*`, `AGPL-*`.
    ///
    /// ## Why is this bad?
    /// Shipping a package under a licence your organisation does not accept
    /// (say, AGPL in a SaaS image) is a legal problem found late.
    ///
    /// ## Example
    /// ```toml
    /// [scan.licenses]
    /// deny = ["AGPL-*", "GPL-3.0-*"]
    /// ```
    pub static LICENSE = Rule {
        id: "PL8003",
        name: "license-denied",
        summary: "An installed package's licence is not allowed",
        level: Level::Error,
        tags: &["license", "image"],
    };
}

pub static RULES: &[&Rule] = &[&VULNERABLE, &UNSCANNED, &LICENSE];

/// `*` at the end matches any suffix; otherwise exact (case-insensitive).
fn licence_matches(glob: &str, id: &str) -> bool {
    match glob.strip_suffix('*') {
        Some(prefix) => id
            .to_ascii_lowercase()
            .starts_with(&prefix.to_ascii_lowercase()),
        None => glob.eq_ignore_ascii_case(id),
    }
}

/// Licence findings for the packages, per `[scan.licenses]`.
pub fn licence_findings(pkgs: &[Package], s: &ScanSettings) -> Vec<Finding> {
    if s.deny_licenses.is_empty() && s.allow_licenses.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for p in pkgs {
        let Some(expr) = p
            .license
            .as_deref()
            .and_then(plimsoll_packages::spdx_expression)
        else {
            continue;
        };
        let ids: Vec<&str> = expr
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .filter(|t| !t.is_empty() && !matches!(*t, "AND" | "OR" | "WITH"))
            .collect();
        let denied: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| s.deny_licenses.iter().any(|g| licence_matches(g, id)))
            .filter(|id| !s.allow_licenses.iter().any(|g| licence_matches(g, id)))
            .collect();
        let unlisted: Vec<&str> = if s.allow_licenses.is_empty() {
            Vec::new()
        } else {
            ids.iter()
                .copied()
                .filter(|id| !s.allow_licenses.iter().any(|g| licence_matches(g, id)))
                .collect()
        };
        let why = if !denied.is_empty() {
            format!("{} denied", denied.join(", "))
        } else if !unlisted.is_empty() {
            format!("{} not on the allow list", unlisted.join(", "))
        } else {
            continue;
        };
        out.push(
            Finding::new(
                &LICENSE,
                format!("{} {} is licensed `{expr}`: {why}", p.name, p.version),
            )
            .within(&p.location)
            .property("package", p.name.clone())
            .property("license", expr.clone()),
        );
    }
    out
}

/// Where a package was found: a path in the image, or the whole target
/// (an SBOM that does not say).
trait Within {
    fn within(self, location: &str) -> Self;
}

impl Within for Finding {
    fn within(self, location: &str) -> Finding {
        if location.is_empty() {
            self
        } else {
            self.in_image(format!("/{location}"), None)
        }
    }
}

pub struct Scan;

impl DockerfilePlugin for Scan {
    fn info() -> PluginInfo {
        PluginInfo::new("scan", env!("CARGO_PKG_VERSION"), RULES)
            .description("Known vulnerabilities of installed packages (OSV)")
            .settings_schema(settings::SCHEMA)
    }

    fn validate_settings(settings: &Settings) -> Result<(), String> {
        ScanSettings::from_json(settings).map(|_| ())
    }

    fn check(_doc: &Document, _settings: &Settings) -> Result<Vec<Finding>, String> {
        Ok(Vec::new())
    }

    fn check_image(image: &ImageTarget, settings: &Settings) -> Result<Vec<Finding>, String> {
        let s = ScanSettings::from_json(settings)?;
        scan(&s, image)
    }
}

plimsoll_plugin_sdk::dockerfile_plugin!(Scan);

/// The distribution, the packages, and notes for unreadable databases.
pub type Packages = (Option<OsRelease>, Vec<Package>, Vec<Finding>);

fn static_kind(kind: &str) -> &'static str {
    match kind {
        "dpkg" => "dpkg",
        "apk" => "apk",
        "rpm" => "rpm",
        "python" => "python",
        "npm" => "npm",
        "go" => "go",
        _ => "other",
    }
}

/// What the host read: the image's package databases or the SBOM's
/// components (the `packages` capability).
pub fn from_inventory(
    inv: installed::Inventory,
) -> (Option<OsRelease>, Vec<Package>, Vec<Finding>) {
    let notes = inv
        .unsupported
        .iter()
        .map(|db| {
            Finding::new(
                &UNSCANNED,
                format!("/{db}: RPM databases are not supported yet; this image's RPM packages were not checked for vulnerabilities"),
            )
            .in_image(format!("/{db}"), None)
        })
        .collect();
    let os = inv.os.map(|o| OsRelease {
        pretty_name: format!("{} {}", o.id, o.version_id),
        id: o.id,
        version_id: o.version_id,
    });
    let pkgs = inv
        .packages
        .into_iter()
        .map(|p| Package {
            kind: static_kind(&p.kind),
            name: p.name,
            version: p.version,
            source: p.source,
            source_version: p.source_version,
            arch: p.arch,
            license: p.license,
            location: p.location,
        })
        .collect();
    (os, pkgs, notes)
}

/// Every package of the image or SBOM, and notes for databases the scan
/// cannot read.
pub fn packages() -> Result<Packages, String> {
    installed::packages()
        .map(from_inventory)
        .map_err(|e| format!("cannot list the installed packages: {}", host_message(&e)))
}

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

/// The OSV ecosystem and version scheme of a package.
fn ecosystem(p: &Package, os: Option<&OsRelease>) -> Option<(String, Scheme)> {
    match p.kind {
        "dpkg" | "apk" => {
            let eco = os?.ecosystem()?;
            let scheme = Scheme::for_ecosystem(&eco)?;
            Some((eco, scheme))
        }
        "python" => Some(("PyPI".into(), Scheme::Pep440)),
        "npm" => Some(("npm".into(), Scheme::Semver)),
        "go" => Some(("Go".into(), Scheme::Semver)),
        _ => None,
    }
}

pub fn scan(s: &ScanSettings, image: &ImageTarget) -> Result<Vec<Finding>, String> {
    let (os, pkgs, mut out) = packages()?;
    out.extend(licence_findings(&pkgs, s));
    if !s.vulnerabilities {
        return Ok(out);
    }
    // (ecosystem, queried name, version) → binaries, for one query each.
    let mut groups: BTreeMap<(String, String, String), (Scheme, Vec<&Package>)> = BTreeMap::new();
    for p in &pkgs {
        let Some((eco, scheme)) = ecosystem(p, os.as_ref()) else {
            continue;
        };
        let (name, version) = match p.kind {
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
    for ((eco, name, version), (scheme, binaries)) in &groups {
        let vulns = match vul::query(eco, name) {
            Ok(v) => v,
            Err(e) => {
                return Err(format!(
                    "cannot look up vulnerabilities: {}",
                    host_message(&e)
                ));
            }
        };
        for v in vulns {
            let (hit, fixed) = affected(&v, *scheme, version);
            if !hit || (s.ignore_unfixed && fixed.is_none()) {
                continue;
            }
            if s.ignored(&v.id, &v.aliases).is_some() {
                continue;
            }
            let mut ids: Vec<&str> = vec![v.id.as_str()];
            ids.extend(v.aliases.iter().map(String::as_str));
            let mut pkg_names: Vec<&str> = binaries.iter().map(|b| b.name.as_str()).collect();
            pkg_names.push(name.as_str());
            let image_ids = [
                image.digest.as_str(),
                image.reference.as_str(),
                image.canonical.as_str(),
            ];
            if s.vex_says_not_affected(&ids, &image_ids, &pkg_names)
                .is_some()
            {
                continue;
            }
            let gate = s.fails(v.score, v.severity.as_deref());
            let names: Vec<&str> = binaries.iter().map(|b| b.name.as_str()).collect();
            let installed = binaries
                .first()
                .map(|b| b.version.as_str())
                .unwrap_or(version);
            let score = v
                .score
                .map(|sc| format!("CVSS {sc:.1}"))
                .or_else(|| v.severity.clone())
                .unwrap_or_else(|| "unscored".into());
            let fix = match &fixed {
                Some(f) => format!("fixed in {f}"),
                None => "no fix yet".into(),
            };
            let covering = if binaries.len() > 1 || names.first().is_some_and(|n| n != name) {
                format!(" (source {name}: {})", names.join(", "))
            } else {
                String::new()
            };
            let mut f = Finding::new(
                &VULNERABLE,
                format!(
                    "{} {installed}{covering}: {} ({score}), {fix}{}",
                    names.first().copied().unwrap_or(name),
                    v.id,
                    if v.summary.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", v.summary)
                    }
                ),
            )
            .within(&binaries[0].location)
            .level(if gate { Level::Error } else { Level::Note })
            .property("id", v.id.clone())
            .property("aliases", v.aliases.clone())
            .property("ecosystem", eco.clone())
            .property("package", name.clone())
            .property(
                "binaries",
                names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            )
            .property("installed", installed.to_string())
            .property("fixed", fixed.clone());
            if let Some(sc) = v.score {
                f = f.severity(sc.clamp(0.0, 10.0)).property("cvss", sc as f64);
            }
            if let Some(vec) = &v.vector {
                f = f.property("vector", vec.clone());
            }
            if let Some(r) = v.references.first() {
                f = f.help_uri(r.clone());
            }
            out.push(f);
        }
    }
    Ok(out)
}

fn host_message(e: &plimsoll_plugin_sdk::registry::HostError) -> String {
    use plimsoll_plugin_sdk::registry::HostError as H;
    match e {
        H::Denied(m)
        | H::NotFound(m)
        | H::Unauthorized(m)
        | H::Unavailable(m)
        | H::InvalidInput(m)
        | H::Other(m) => m.clone(),
        H::Timeout => "timed out".into(),
        H::RateLimited(_) => "rate limited".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_plugin_sdk::bindings::plimsoll::plugin::vulnerabilities::{
        AffectedRange, RangeEvent,
    };
    use plimsoll_plugin_sdk::serde_json::json;

    fn ev(introduced: Option<&str>, fixed: Option<&str>, last: Option<&str>) -> RangeEvent {
        RangeEvent {
            introduced: introduced.map(str::to_string),
            fixed: fixed.map(str::to_string),
            last_affected: last.map(str::to_string),
            limit: None,
        }
    }

    fn vuln(events: Vec<RangeEvent>, versions: &[&str]) -> Vulnerability {
        Vulnerability {
            id: "CVE-0".into(),
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
        let v = vuln(vec![], &["1.0"]);
        assert!(affected(&v, Scheme::Pep440, "1.0").0);
    }

    #[test]
    fn licence_policy() {
        let p = |name: &str, l: &str| Package {
            kind: "apk",
            name: name.into(),
            version: "1".into(),
            source: None,
            source_version: None,
            arch: None,
            license: Some(l.into()),
            location: "lib/apk/db/installed".into(),
        };
        let pkgs = vec![
            p("busybox", "GPL-2.0-only"),
            p("musl", "MIT"),
            p("tool", "AGPL-3.0-or-later"),
        ];
        let s = ScanSettings::from_json(&json!({"licenses": {"deny": ["AGPL-*", "GPL-3.0-*"]}}))
            .unwrap();
        let f = licence_findings(&pkgs, &s);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message
                .starts_with("tool 1 is licensed `AGPL-3.0-or-later`"),
            "{}",
            f[0].message
        );
        let s = ScanSettings::from_json(&json!({"licenses": {"allow": ["MIT", "Apache-2.0"]}}))
            .unwrap();
        let names: Vec<String> = licence_findings(&pkgs, &s)
            .iter()
            .map(|f| f.message.split(' ').next().unwrap().to_string())
            .collect();
        assert_eq!(names, vec!["busybox", "tool"]);
        assert!(ScanSettings::from_json(&json!({"licenses": {"deny": "GPL"}})).is_err());
    }
}
