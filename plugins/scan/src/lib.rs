//! plimsoll's built-in vulnerability scan (`plimsoll check --image`, `check
//! --sbom`): takes the installed packages the host read (dpkg, apk, Python,
//! npm, Go binaries' modules; or an SBOM's components), asks
//! the host's OSV database about each (the `vulnerabilities` capability),
//! matches versions with each ecosystem's own ordering, and gates on CVSS.
//!
//! Debian and Alpine records name source packages: binaries built from one
//! source are reported together, once per vulnerability.

mod settings;

use plimsoll_analysis::osv;
use plimsoll_plugin_sdk::installed::{self, Inventory, Package};
use plimsoll_plugin_sdk::prelude::*;

// As the lint plugin (see there).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOC: plimsoll_plugin_sdk::alloc::SizeClasses<talc::wasm::WasmDynamicTalc> =
    plimsoll_plugin_sdk::alloc::SizeClasses::new(talc::wasm::new_wasm_dynamic_allocator());

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
    /// Reports packages the scan could not check, so that an image whose
    /// packages were not checked never passes silently: a Berkeley DB RPM
    /// database (CentOS 7 and older; `rpmdb.sqlite` is read), a Go binary
    /// built before Go 1.18 (its build information needs the executable's
    /// address map), or the packages of a distribution plimsoll has no
    /// vulnerability data for (Red Hat Enterprise Linux, Fedora, UBI: OSV
    /// covers Debian, Ubuntu, Alpine, Rocky Linux and AlmaLinux).
    ///
    /// ## Why is this bad?
    /// Unscanned packages hide vulnerabilities.
    ///
    /// ## Example
    /// A CentOS 7 image: `var/lib/rpm/Packages`.
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
            within(
                Finding::new(
                    &LICENSE,
                    format!("{} {} is licensed `{expr}`: {why}", p.name, p.version),
                ),
                &p.location,
            )
            .property("package", p.name.clone())
            .property("license", expr.clone()),
        );
    }
    out
}

/// Where a package was found: a path in the image, or the whole target
/// (an SBOM that does not say).
fn within(f: Finding, location: &str) -> Finding {
    if location.is_empty() {
        f
    } else {
        f.in_image(format!("/{location}"), None)
    }
}

pub struct Scan;

impl DockerfilePlugin for Scan {
    fn info() -> PluginInfo {
        PluginInfo::new("scan", env!("CARGO_PKG_VERSION"), RULES)
            .description("Known vulnerabilities of installed packages (OSV)")
            .settings_schema(settings::schema())
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

/// Notes for what the host found but could not read (PL8002).
fn unscanned_notes(inv: &Inventory) -> Vec<Finding> {
    inv.unsupported
        .iter()
        .map(|db| {
            Finding::new(
                &UNSCANNED,
                format!("/{db}: {}", plimsoll_packages::unsupported_reason(db)),
            )
            .in_image(format!("/{db}"), None)
        })
        .collect()
}

pub fn scan(s: &ScanSettings, image: &ImageTarget) -> Result<Vec<Finding>, String> {
    let inventory = installed::packages()
        .map_err(|e| format!("cannot list the installed packages: {}", host_message(&e)))?;
    let mut out = unscanned_notes(&inventory);
    out.extend(licence_findings(&inventory.packages, s));
    if !s.vulnerabilities {
        return Ok(out);
    }
    let os_name = inventory
        .os
        .as_ref()
        .map(|o| format!("{} {}", o.id, o.version_id))
        .unwrap_or_else(|| "an unknown distribution (no /etc/os-release)".into());
    for (kind, n) in osv::unmatched_os_packages(&inventory) {
        out.push(Finding::new(
            &UNSCANNED,
            format!(
                "{n} {kind} packages of {os_name} were not checked: plimsoll has no vulnerability data for this distribution (OSV covers Debian, Ubuntu, Alpine, Rocky Linux and AlmaLinux)"
            ),
        ));
    }
    let matches = osv::matches(&inventory)
        .map_err(|e| format!("cannot look up vulnerabilities: {}", host_message(&e)))?;
    for m in matches {
        let v = &m.vulnerability;
        if s.ignore_unfixed && m.fixed.is_none() {
            continue;
        }
        // `DEBIAN-CVE-2023-5363` is shown as the CVE it stands for.
        let shown = osv::cve_of(&v.id).unwrap_or(&v.id).to_string();
        if s.ignored(&v.id, &v.aliases).is_some() || s.ignored(&shown, &[]).is_some() {
            continue;
        }
        let mut ids: Vec<&str> = vec![v.id.as_str(), shown.as_str()];
        ids.extend(v.aliases.iter().map(String::as_str));
        let names: Vec<&str> = m.binaries.iter().map(|b| b.name.as_str()).collect();
        let mut pkg_names = names.clone();
        pkg_names.push(m.package.as_str());
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
        let score = v
            .score
            .map(|sc| format!("CVSS {sc:.1}"))
            .or_else(|| v.severity.clone())
            .unwrap_or_else(|| "unscored".into());
        let fix = match &m.fixed {
            Some(f) => format!("fixed in {f}"),
            None => "no fix yet".into(),
        };
        let covering = if names.len() > 1 || names.first().is_some_and(|n| *n != m.package) {
            format!(" (source {}: {})", m.package, names.join(", "))
        } else {
            String::new()
        };
        let location = m
            .binaries
            .first()
            .map(|b| b.location.as_str())
            .unwrap_or("");
        let mut f = within(
            Finding::new(
                &VULNERABLE,
                format!(
                    "{} {}{covering}: {} ({score}), {fix}{}",
                    names.first().copied().unwrap_or(&m.package),
                    m.installed,
                    shown,
                    if v.summary.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", v.summary)
                    }
                ),
            ),
            location,
        )
        .level(if gate { Level::Error } else { Level::Note })
        .property("id", shown.clone())
        .property("osv_id", v.id.clone())
        .property("aliases", v.aliases.clone())
        .property("ecosystem", m.ecosystem.clone())
        .property("package", m.package.clone())
        .property(
            "binaries",
            names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
        )
        .property("installed", m.installed.clone())
        .property("fixed", m.fixed.clone());
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
    Ok(out)
}

fn host_message(e: &plimsoll_plugin_sdk::registry::HostError) -> String {
    use plimsoll_plugin_sdk::registry::HostError as H;
    match (e.detail(), e) {
        (Some(m), _) => m.to_string(),
        (None, H::RateLimited(_)) => "rate limited".into(),
        (None, _) => "timed out".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_plugin_sdk::serde_json::json;

    #[test]
    fn licence_policy() {
        let p = |name: &str, l: &str| Package {
            kind: "apk".into(),
            name: name.into(),
            version: "1".into(),
            source: None,
            source_version: None,
            arch: None,
            license: Some(l.into()),
            location: "lib/apk/db/installed".into(),
            purl: String::new(),
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
