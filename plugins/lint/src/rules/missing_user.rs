use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a final stage that never sets `USER`, so the container runs as the
    /// base image's user, which is root for almost every base image.
    ///
    /// ## Why is this bad?
    /// A process running as root in a container is one kernel or runtime bug away
    /// from root on the host, and can rewrite everything in the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12
    /// COPY app /app
    /// CMD ["/app"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM debian:12
    /// RUN useradd --system --uid 10001 app
    /// COPY app /app
    /// USER 10001
    /// CMD ["/app"]
    /// ```
    ///
    /// ## References
    /// - Trivy DS002, Checkov CKV_DOCKER_3
    pub static RULE = Rule {
        id: "PL3001",
        name: "missing-user",
        summary: "Final stage never sets USER (runs as root)",
        level: Level::Warning,
        aliases: &["DS002", "CKV_DOCKER_3"],
        tags: &["security"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let Some(stage) = ctx.doc.final_stage() else {
        return;
    };
    let has_user = ctx
        .df()
        .stage_instructions(stage.index)
        .iter()
        .any(|i| i.keyword == "USER");
    // A base stage of ours may set one. (`FROM scratch` is no exception: without
    // USER its process runs as UID 0.)
    let inherits_user = stage.base_stage.is_some_and(|b| {
        ctx.df()
            .stage_instructions(b)
            .iter()
            .any(|i| i.keyword == "USER")
    });
    if !has_user && !inherits_user && !ctx.settings.allow_root_user {
        let from = &ctx.df().instructions[stage.from];
        ctx.report(
            Finding::new(
                &RULE,
                if stage.base.eq_ignore_ascii_case("scratch") {
                    "the final stage never sets USER, so its process runs as UID 0; add a numeric USER such as `USER 65532`"
                } else {
                    "the final stage never sets USER, so the container runs as root; add a non-root USER"
                },
            )
            .at(from.span)
            .severity(5.0),
        );
    }
}
