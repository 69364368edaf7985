use plimsoll_plugin_sdk::prelude::*;

use super::labels::final_labels;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports label keys that break Docker's naming guidance: characters other
    /// than lower-case letters, digits, `.` and `-`, keys that do not start with a
    /// letter and end with a letter or digit, consecutive separators, and the reserved
    /// `com.docker.*`, `io.docker.*` and `org.dockerproject.*` namespaces.
    ///
    /// ## Why is this bad?
    /// Tools that read labels (registries, scanners, orchestrators) expect
    /// reverse-DNS keys; odd keys get ignored or collide.
    ///
    /// ## Example
    /// ```dockerfile
    /// LABEL "My Label"=x com.docker.owner=me
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// LABEL org.example.owner=me
    /// ```
    ///
    /// ## References
    /// - hadolint DL3048
    pub static RULE = Rule {
        id: "PL3021",
        name: "invalid-label-key",
        summary: "Label key is not a valid reverse-DNS key",
        level: Level::Note,
        aliases: &["DL3048"],
        tags: &["style"],
    };
}

fn problem(key: &str) -> Option<&'static str> {
    if key.is_empty() {
        return Some("is empty");
    }
    if ["com.docker.", "io.docker.", "org.dockerproject."]
        .iter()
        .any(|p| key.starts_with(p))
    {
        return Some("uses a namespace reserved by Docker");
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
    {
        return Some("holds characters other than letters, digits, `.`, `-` and `_`");
    }
    if !key.starts_with(|c: char| c.is_ascii_alphabetic())
        || !key.ends_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Some("must start with a letter and end with a letter or digit");
    }
    if key.contains("..") || key.contains("--") {
        return Some("has consecutive separators");
    }
    None
}

pub fn check(ctx: &mut Ctx) {
    let labels = final_labels(ctx.df());
    for l in labels {
        // A key built from variables (`LABEL ${NS}.version=…`) is judged after
        // expansion by the build, not here.
        if let Some(p) = problem(&l.key)
            && !l.key.starts_with('$')
            && !l.key.contains("${")
        {
            ctx.report(Finding::new(&RULE, format!("label key `{}` {p}", l.key)).at(l.key_span));
        }
    }
}
