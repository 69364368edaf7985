use plimsoll_plugin_sdk::prelude::*;

use super::labels::final_labels;
use crate::Ctx;
use crate::LabelType;

declare_rule! {
    /// ## What it does
    /// Checks label values against the type `[lint] label-schema` gives them:
    /// `url`, `email`, `rfc3339` (a timestamp), `semver`, `hash` (a git commit)
    /// or `spdx` (a licence expression). Values with unexpanded variables are not
    /// judged.
    ///
    /// ## Why is this bad?
    /// A malformed `org.opencontainers.image.created` or `.licenses` breaks the
    /// tools that read it.
    ///
    /// ## Example
    /// With `label-schema = { "org.opencontainers.image.created" = "rfc3339" }`:
    /// ```dockerfile
    /// LABEL org.opencontainers.image.created="yesterday"
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// LABEL org.opencontainers.image.created="2026-11-23T10:00:00Z"
    /// ```
    ///
    /// ## References
    /// - hadolint DL3052 (url), DL3053 (rfc3339), DL3054 (spdx), DL3055 (hash), DL3056 (semver), DL3058 (email)
    pub static RULE = Rule {
        id: "PL3025",
        name: "label-format",
        summary: "Label value does not match its label-schema type",
        level: Level::Warning,
        aliases: &["DL3052", "DL3053", "DL3054", "DL3055", "DL3056", "DL3058"],
        tags: &["provenance"],
    };
}

fn is_url(v: &str) -> bool {
    v.split_once("://").is_some_and(|(scheme, rest)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !rest.is_empty()
            && !rest.contains(' ')
    })
}

fn is_email(v: &str) -> bool {
    let v = v.rsplit('<').next().unwrap_or(v).trim_end_matches('>');
    v.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty()
            && d.contains('.')
            && !d.starts_with('.')
            && !d.ends_with('.')
            && !v.contains(' ')
    })
}

fn is_rfc3339(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() < 20 {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && matches!(b[10], b'T' | b't' | b' ')
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && {
            let tz = v[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
            tz == "Z"
                || tz == "z"
                || (tz.len() == 6
                    && (tz.starts_with('+') || tz.starts_with('-'))
                    && &tz[3..4] == ":")
        }
}

fn is_semver(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let core = v.split(['-', '+']).next().unwrap_or(v);
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars().all(|c| c.is_ascii_digit())
                && (p.len() == 1 || !p.starts_with('0'))
        })
}

fn is_hash(v: &str) -> bool {
    (v.len() == 40 || v.len() == 64 || (7..=12).contains(&v.len()))
        && v.chars().all(|c| c.is_ascii_hexdigit())
}

/// A licence expression over the SPDX licence list (`MIT`, `Apache-2.0 OR MIT`,
/// `GPL-2.0-or-later WITH Classpath-exception-2.0`), as the `spdx` crate (the
/// list cargo-deny uses) parses it; `LicenseRef-…` identifiers are allowed.
fn is_spdx(v: &str) -> bool {
    spdx::Expression::parse_mode(v, spdx::ParseMode::LAX).is_ok()
}

pub fn check(ctx: &mut Ctx) {
    let labels = final_labels(ctx.df());
    for l in labels {
        let Some(ty) = ctx.settings.label_schema.get(&l.key).copied() else {
            continue;
        };
        if l.value.contains('$') || l.value.is_empty() {
            continue;
        }
        let (ok, what, peer) = match ty {
            LabelType::Text => (true, "", ""),
            LabelType::Url => (is_url(&l.value), "a URL", "DL3052"),
            LabelType::Email => (is_email(&l.value), "an email address", "DL3058"),
            LabelType::Rfc3339 => (is_rfc3339(&l.value), "an RFC 3339 timestamp", "DL3053"),
            LabelType::Semver => (is_semver(&l.value), "a semantic version", "DL3056"),
            LabelType::Hash => (is_hash(&l.value), "a git commit hash", "DL3055"),
            LabelType::Spdx => (is_spdx(&l.value), "an SPDX licence expression", "DL3054"),
        };
        if !ok {
            ctx.report(
                Finding::new(
                    &RULE,
                    format!("label `{}` = `{}` is not {what}", l.key, l.value),
                )
                .at(l.value_span)
                .covers(&[peer]),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_url("https://github.com/org/repo") && !is_url("github.com/org"));
        assert!(is_email("Jane <jane@example.com>") && !is_email("jane"));
        assert!(
            is_rfc3339("2026-11-23T10:00:00Z")
                && is_rfc3339("2026-11-23T10:00:00.123+01:00")
                && !is_rfc3339("2026-11-23")
        );
        assert!(
            is_semver("1.2.3")
                && is_semver("v1.2.3-rc.1+b5")
                && !is_semver("1.2")
                && !is_semver("01.2.3")
        );
        assert!(is_hash("4b041a59f036045c0207275f56156cae3ccc1e74") && !is_hash("xyz"));
        assert!(
            is_spdx("Apache-2.0 OR MIT")
                && is_spdx("GPL-2.0-only WITH Classpath-exception-2.0")
                && !is_spdx("see LICENSE file!")
                && !is_spdx("not-spdx")
                && is_spdx("LicenseRef-corp")
        );
    }
}
