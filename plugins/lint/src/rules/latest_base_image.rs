use plimsoll_plugin_sdk::prelude::*;

use super::image_ref::{ImageRef, is_external};
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `FROM` lines that use the `:latest` tag without a digest, after
    /// substituting `ARG` defaults.
    ///
    /// ## Why is this bad?
    /// `latest` moves. Two builds of the same commit get different bases, and a
    /// breaking or vulnerable base arrives silently.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:latest
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM node:22.11-bookworm-slim@sha256:...
    /// ```
    ///
    /// ## References
    /// - hadolint DL3007, Trivy DS001, Checkov CKV_DOCKER_7
    pub static RULE = Rule {
        id: "PL1002",
        name: "latest-base-image",
        summary: "Base image uses the :latest tag",
        level: Level::Warning,
        aliases: &["DL3007", "DS001", "CKV_DOCKER_7"],
        tags: &["reproducibility", "pinning"],
    };
}

pub fn check(ctx: &mut Ctx) {
    for stage in ctx.doc.stages() {
        if !is_external(stage) {
            continue;
        }
        let r = ImageRef::parse(&stage.base);
        if r.digest.is_none() && r.tag == Some("latest") {
            ctx.report(
                Finding::new(
                    &RULE,
                    format!(
                        "`{}` uses the moving `latest` tag; pin a version tag and digest",
                        stage.base
                    ),
                )
                .at(stage.base_span),
            );
        }
    }
}
