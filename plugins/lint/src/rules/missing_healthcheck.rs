use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::final_image_stages;

declare_rule! {
    /// ## What it does
    /// Notes a final image with no HEALTHCHECK (in the final stage or the stages
    /// it is built on). `HEALTHCHECK NONE` counts as a deliberate choice.
    ///
    /// ## Why is this bad?
    /// Without a health check, Docker and Compose only know whether the process
    /// runs, not whether it works. (Kubernetes ignores HEALTHCHECK and uses its own
    /// probes, which is why this is a note.)
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM nginx:1.27
    /// COPY site /usr/share/nginx/html
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// HEALTHCHECK --interval=30s --timeout=3s CMD curl -fsS http://localhost/ || exit 1
    /// ```
    ///
    /// ## References
    /// - hadolint DL3057, Trivy DS026, Checkov CKV_DOCKER_2
    pub static RULE = Rule {
        id: "PL3014",
        name: "missing-healthcheck",
        summary: "The image has no HEALTHCHECK",
        level: Level::Note,
        aliases: &["DL3057", "DS026", "CKV_DOCKER_2"],
        tags: &["reliability"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let Some(last) = df.stages.last() else { return };
    let has = final_image_stages(df).iter().any(|&s| {
        df.stage_instructions(s)
            .iter()
            .any(|i| i.keyword == "HEALTHCHECK")
    });
    if !has && !last.base.eq_ignore_ascii_case("scratch") {
        let span = df.instructions[last.from].span;
        ctx.report(Finding::new(&RULE, "the final image has no HEALTHCHECK").at(span));
    }
}
