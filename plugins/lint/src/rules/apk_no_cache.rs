use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::in_final_image;

declare_rule! {
    /// ## What it does
    /// Reports `apk add` without `--no-cache` in the final image's stages, unless
    /// the same RUN removes `/var/cache/apk` or mounts a cache there.
    ///
    /// ## Why is this bad?
    /// The package index and cached packages stay in the layer.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apk update && apk add curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apk add --no-cache curl
    /// ```
    ///
    /// ## Fix
    /// Safe: adds `--no-cache` after `add`.
    ///
    /// ## References
    /// - hadolint DL3019, Trivy DS025
    pub static RULE = Rule {
        id: "PL2009",
        name: "apk-no-cache",
        summary: "apk add without --no-cache",
        level: Level::Note,
        aliases: &["DL3019", "DS025"],
        tags: &["size", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for run in &ctx.runs {
        if !in_final_image(df, run.ins)
            || run.cache_mounted("/var/cache/apk")
            || run.cache_mounted("/etc/apk/cache")
        {
            continue;
        }
        let cleaned = run.commands().any(|(_, c)| {
            c.is("rm")
                && c.args()
                    .iter()
                    .any(|a| a.value.starts_with("/var/cache/apk"))
        });
        for (script, pc) in run.packages() {
            if pc.manager != Manager::Apk
                || !pc.is_install()
                || pc.command.has_flag(&[], &["no-cache"])
                || cleaned
            {
                continue;
            }
            let c = pc.command;
            let mut f = Finding::new(
                &RULE,
                "use `apk add --no-cache` so the package cache does not stay in the layer",
            )
            .at(script.command_span(run.ins, c));
            if let Some(sub) = pc.subcommand
                && let Some(span) = script.edit_span(run.ins, c, sub)
            {
                f = f.fix(Fix::safe(
                    "Add --no-cache",
                    vec![Edit::insert(span.end, " --no-cache")],
                ));
            }
            out.push(f);
        }
    }
    for f in out {
        ctx.report(f);
    }
}
