use plimsoll_plugin_sdk::prelude::*;

use super::from_helpers::official_name;
use super::image_ref::{ImageRef, is_external};
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Notes when the final stage uses a full official image that has a smaller
    /// official variant: `python:3.13` -> `python:3.13-slim`, `node:22` ->
    /// `node:22-slim`, `debian:12` -> `debian:12-slim`, `golang` in a final stage
    /// -> a distroless or static base.
    ///
    /// ## Why is this bad?
    /// The full variants carry compilers, headers and hundreds of packages the
    /// application never runs: a bigger download, a bigger attack surface, more
    /// CVEs to triage. Our guidance: distroless > slim > alpine > full.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.13
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM python:3.13-slim
    /// ```
    ///
    /// ## References
    /// - our container-image guidance ("small bases")
    pub static RULE = Rule {
        id: "PL1010",
        name: "smaller-variant-available",
        summary: "A smaller official variant of the final base image exists",
        level: Level::Note,
        tags: &["size"],
    };
}

/// Official images with `-slim` tags (php has none: its small variant is
/// `-alpine`).
const SLIM: &[&str] = &[
    "python", "node", "ruby", "perl", "debian", "rust", "openjdk", "erlang", "elixir",
];
const SMALL_TAGS: &[&str] = &[
    "slim",
    "alpine",
    "distroless",
    "minimal",
    "micro",
    "tiny",
    "jre",
    "static",
    "busybox",
    "nonroot",
    "runtime",
];

pub fn check(ctx: &mut Ctx) {
    let Some(stage) = ctx.doc.final_stage() else {
        return;
    };
    if !is_external(stage) {
        return;
    }
    let name = official_name(&stage.base).to_string();
    let r = ImageRef::parse(&stage.base);
    let tag = r.tag.unwrap_or("latest");
    if SMALL_TAGS.iter().any(|s| tag.contains(s)) || r.digest.is_some() && r.tag.is_none() {
        return;
    }
    let suggestion = if name == "golang" || name == "maven" || name == "gradle" {
        Some(format!(
            "`{}` is a build toolchain; build in an earlier stage and copy the result onto a distroless or slim base",
            stage.base
        ))
    } else if SLIM.contains(&name.as_str()) && !tag.contains("windows") {
        let base = tag.split('-').next().unwrap_or(tag);
        // Debian has no bare `slim` tag: `latest` is `stable`.
        let slim = match (tag, name.as_str()) {
            ("latest", "debian") => "stable-slim".to_string(),
            ("latest", _) => "slim".to_string(),
            _ => format!("{base}-slim"),
        };
        Some(format!(
            "`{}` has a smaller official variant: `{name}:{slim}`",
            stage.base
        ))
    } else {
        None
    };
    if let Some(msg) = suggestion {
        let span = stage.base_span;
        ctx.report(Finding::new(&RULE, msg).at(span));
    }
}
