//! Base-update advice: when a pin is stale, which fixable vulnerabilities
//! moving to the tag's current digest removes. Both images' packages come
//! from the host (`packages.of-image`) and are matched against the local
//! OSV database (`vulnerabilities`), as the scan matches them. Without
//! those capabilities or without vulnerability data there is no advice,
//! and the stale-pin finding says what it always says.

use std::collections::BTreeSet;

use plimsoll_analysis::osv::{self, Match};
use plimsoll_plugin_sdk::installed;
use plimsoll_plugin_sdk::serde_json::{Value, json};

/// A vulnerability the update removes.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixed {
    pub id: String,
    /// The (source) package.
    pub package: String,
    pub installed: String,
    pub score: Option<f32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Advice {
    /// Most severe first.
    pub fixed: Vec<Fixed>,
    /// Fixable vulnerabilities of the pinned image the update leaves in.
    pub remaining: usize,
}

/// How many ids the message names.
const NAMED: usize = 5;

impl Advice {
    pub fn sentence(&self) -> String {
        if self.fixed.is_empty() {
            return "; updating fixes no known vulnerabilities".into();
        }
        let named: Vec<String> = self
            .fixed
            .iter()
            .take(NAMED)
            .map(|f| match f.score {
                Some(s) => format!("{} ({} {}, CVSS {s:.1})", f.id, f.package, f.installed),
                None => format!("{} ({} {})", f.id, f.package, f.installed),
            })
            .collect();
        let more = self.fixed.len().saturating_sub(NAMED);
        format!(
            "; updating fixes {} known {}: {}{}",
            self.fixed.len(),
            if self.fixed.len() == 1 {
                "vulnerability"
            } else {
                "vulnerabilities"
            },
            named.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    }

    pub fn properties(&self) -> Value {
        Value::Array(
            self.fixed
                .iter()
                .map(|f| json!({"id": f.id, "package": f.package, "installed": f.installed, "cvss": f.score}))
                .collect(),
        )
    }

    pub fn max_score(&self) -> Option<f32> {
        self.fixed
            .iter()
            .filter_map(|f| f.score)
            .fold(None, |m, s| Some(m.map_or(s, |m: f32| m.max(s))))
            .map(|s| s.clamp(0.0, 10.0))
    }
}

/// Fixable vulnerabilities of `pinned` that `current` no longer has; `None`
/// when either image or the vulnerability data cannot be read (not granted,
/// no database, registry down): advice is a bonus, never a failure.
pub fn removed_by_update(pinned: &str, current: &str) -> Option<Advice> {
    let before = osv::matches(&installed::of_image(pinned).ok()?).ok()?;
    let fixable: Vec<&Match> = before.iter().filter(|m| m.fixed.is_some()).collect();
    if fixable.is_empty() {
        return Some(compare(&fixable, &[]));
    }
    let after = osv::matches(&installed::of_image(current).ok()?).ok()?;
    Some(compare(&fixable, &after))
}

fn compare(fixable: &[&Match], after: &[Match]) -> Advice {
    let still: BTreeSet<(&str, &str)> = after
        .iter()
        .map(|m| (m.vulnerability.id.as_str(), m.package.as_str()))
        .collect();
    let mut fixed: Vec<Fixed> = fixable
        .iter()
        .filter(|m| !still.contains(&(m.vulnerability.id.as_str(), m.package.as_str())))
        .map(|m| Fixed {
            id: osv::cve_of(&m.vulnerability.id)
                .unwrap_or(&m.vulnerability.id)
                .to_string(),
            package: m.package.clone(),
            installed: m.installed.clone(),
            score: m.vulnerability.score,
        })
        .collect();
    fixed.sort_by(|a, b| {
        b.score
            .unwrap_or(0.0)
            .total_cmp(&a.score.unwrap_or(0.0))
            .then_with(|| a.id.cmp(&b.id))
    });
    fixed.dedup_by(|a, b| a.id == b.id && a.package == b.package);
    Advice {
        remaining: fixable.len() - fixed.len(),
        fixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_plugin_sdk::installed::{Inventory, OsRelease, Package, testing as inv};
    use plimsoll_plugin_sdk::vulnerabilities::{
        AffectedRange, RangeEvent, Vulnerability, testing as db,
    };

    fn image(openssl: &str, zlib: &str) -> Inventory {
        let pkg = |name: &str, source: &str, version: &str| Package {
            kind: "dpkg".into(),
            name: name.into(),
            version: version.into(),
            source: Some(source.into()),
            source_version: None,
            arch: None,
            license: None,
            location: "var/lib/dpkg/status".into(),
            purl: String::new(),
        };
        Inventory {
            os: Some(OsRelease {
                id: "debian".into(),
                version_id: "12".into(),
                ecosystem: Some("Debian:12".into()),
            }),
            packages: vec![
                pkg("libssl3", "openssl", openssl),
                pkg("zlib1g", "zlib", zlib),
            ],
            unsupported: vec![],
        }
    }

    fn record(id: &str, fixed: Option<&str>, score: f32) -> Vulnerability {
        let mut events = vec![RangeEvent {
            introduced: Some("0".into()),
            fixed: None,
            last_affected: None,
            limit: None,
        }];
        if let Some(f) = fixed {
            events.push(RangeEvent {
                introduced: None,
                fixed: Some(f.into()),
                last_affected: None,
                limit: None,
            });
        }
        Vulnerability {
            id: id.into(),
            aliases: vec![],
            summary: String::new(),
            score: Some(score),
            vector: None,
            severity: None,
            ranges: vec![AffectedRange {
                kind: "ECOSYSTEM".into(),
                events,
            }],
            versions: vec![],
            references: vec![],
        }
    }

    #[test]
    fn the_update_removes_what_the_new_digest_fixed() {
        db::clear();
        db::add_record(
            "Debian:12",
            "openssl",
            record("CVE-2023-5363", Some("3.0.11-1~deb12u2"), 7.5),
        );
        db::add_record(
            "Debian:12",
            "openssl",
            record("CVE-2024-0727", Some("3.0.13-1~deb12u1"), 5.5),
        );
        db::add_record("Debian:12", "zlib", record("CVE-2023-45853", None, 9.8));
        inv::add_image(
            "r/debian@sha256:old",
            image("3.0.11-1~deb12u1", "1:1.2.13.dfsg-1"),
        );
        inv::add_image(
            "r/debian@sha256:new",
            image("3.0.11-1~deb12u2", "1:1.2.13.dfsg-1"),
        );
        let a = removed_by_update("r/debian@sha256:old", "r/debian@sha256:new").unwrap();
        let ids: Vec<&str> = a.fixed.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            vec!["CVE-2023-5363"],
            "0727 needs a later openssl; zlib's has no fix"
        );
        assert_eq!(a.remaining, 1);
        assert_eq!(a.max_score(), Some(7.5));
        assert_eq!(
            a.sentence(),
            "; updating fixes 1 known vulnerability: CVE-2023-5363 (openssl 3.0.11-1~deb12u1, CVSS 7.5)"
        );
        // No database, or an image that cannot be read: no advice.
        db::clear();
        assert_eq!(
            removed_by_update("r/debian@sha256:old", "r/debian@sha256:new"),
            None
        );
        db::add_record(
            "Debian:12",
            "openssl",
            record("CVE-2023-5363", Some("3.0.11-1~deb12u2"), 7.5),
        );
        assert_eq!(
            removed_by_update("r/debian@sha256:gone", "r/debian@sha256:new"),
            None
        );
        // Nothing fixable in the pin: said so.
        inv::add_image(
            "r/debian@sha256:newer",
            image("3.0.13-1~deb12u1", "1:1.2.13.dfsg-1"),
        );
        let a = removed_by_update("r/debian@sha256:newer", "r/debian@sha256:old").unwrap();
        assert_eq!(a.sentence(), "; updating fixes no known vulnerabilities");
    }
}
