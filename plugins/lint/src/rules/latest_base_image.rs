use plimsoll_plugin_sdk::prelude::*;

use super::image_ref::{ImageRef, external_images};
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports images used with the `:latest` tag and no digest — in `FROM` lines
    /// (after substituting `ARG` defaults), `COPY --from=` and `RUN --mount from=`.

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
    let mut out = Vec::new();
    for img in external_images(ctx.df()) {
        let r = ImageRef::parse(&img.reference);
        if r.digest.is_none() && r.tag == Some("latest") {
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "`{}` uses the moving `latest` tag; pin a version tag and digest",
                        img.reference
                    ),
                )
                .at(img.span),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
