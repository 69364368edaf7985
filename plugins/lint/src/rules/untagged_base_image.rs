use plimsoll_plugin_sdk::prelude::*;

use super::image_ref::{ImageRef, is_external};
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `FROM` lines whose image has neither a tag nor a digest, after
    /// substituting `ARG` defaults (`FROM ${BASE}` is judged by what `BASE`
    /// defaults to).
    ///
    /// ## Why is this bad?
    /// An untagged image means `:latest`: whatever the publisher pushed last. Builds
    /// stop being reproducible and a base image update lands without review.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM debian:12.5-slim@sha256:...
    /// ```
    /// `plimsoll pin --fix` writes the digest for you.
    ///
    /// ## References
    /// - hadolint DL3006, Trivy DS001, Checkov CKV_DOCKER_7
    pub static RULE = Rule {
        id: "PL1001",
        name: "untagged-base-image",
        summary: "Base image has no tag or digest (implicitly :latest)",
        level: Level::Warning,
        aliases: &["DL3006", "DS001", "CKV_DOCKER_7"],
        tags: &["reproducibility", "pinning"],
    };
}

pub fn check(ctx: &mut Ctx) {
    for stage in ctx.doc.stages() {
        if !is_external(stage) {
            continue;
        }
        let r = ImageRef::parse(&stage.base);
        if r.tag.is_some() || r.digest.is_some() {
            continue;
        }
        let via = if stage.base != stage.base_as_written {
            format!(" (`{}` resolves to it)", stage.base_as_written)
        } else {
            String::new()
        };
        ctx.report(
            Finding::new(
                &RULE,
                format!(
                    "`{}` has no tag or digest{via}; pin a version tag and digest",
                    stage.base
                ),
            )
            .at(stage.base_span),
        );
    }
}
