use plimsoll_plugin_sdk::prelude::*;

use super::image_ref::{ImageRef, external_images};
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports images with neither a tag nor a digest — in `FROM` lines (after
    /// substituting `ARG` defaults: `FROM ${BASE}` is judged by what `BASE`
    /// defaults to), `COPY --from=image` and `RUN --mount=...,from=image`. A build
    /// argument without a default that cannot supply the tag (`FROM
    /// ${REGISTRY}/ubuntu`) is judged as BuildKit builds it without a value.

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
    let mut out = Vec::new();
    for img in external_images(ctx.df()) {
        let r = ImageRef::parse(&img.reference);
        if r.tag.is_some() || r.digest.is_some() {
            continue;
        }
        let via = if img.reference != img.written {
            format!(" (`{}` resolves to it)", img.written)
        } else {
            String::new()
        };
        out.push(
            Finding::new(
                &RULE,
                format!(
                    "`{}` has no tag or digest{via}; pin a version tag and digest",
                    img.reference
                ),
            )
            .at(img.span),
        );
    }
    // A base with build arguments that have no default: BuildKit substitutes
    // nothing, so `FROM ${REGISTRY}/ubuntu` and `FROM alpine$TAG` build an
    // untagged image unless the build passes a value. Judged when the tag
    // cannot come from the variable: the last path component has no `:` or
    // `@` and the reference is not one variable alone (`FROM $IMAGE`).
    let df = ctx.df();
    for st in &df.stages {
        let written = st.base_as_written.as_str();
        let last = written.rsplit('/').next().unwrap_or(written);
        // `FROM $IMAGE` alone resolves to nothing: PL1013's, not ours.
        if st.base_unresolved.is_empty()
            || st.base_stage.is_some()
            || last.contains([':', '@'])
            || st.base.trim_matches('/').is_empty()
        {
            continue;
        }
        let r = ImageRef::parse(st.base.trim_start_matches('/'));
        if r.tag.is_none() && r.digest.is_none() {
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "`{written}` has no tag or digest when {} is not passed; pin a version tag and digest",
                        crate::util::list(&st.base_unresolved.iter().map(String::as_str).collect::<Vec<_>>())
                    ),
                )
                .at(st.base_span),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
