use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::in_final_image;

declare_rule! {
    /// ## What it does
    /// Reports `apt-get install` without `--no-install-recommends` (or
    /// `-o APT::Install-Recommends=false`) in the stages that end up in the final
    /// image.
    ///
    /// ## Why is this bad?
    /// Recommended packages are not needed to run what you install, and often
    /// double the size of the layer (and the CVE count of the image).
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
    /// ```
    ///
    /// ## Fix
    /// Safe: adds `--no-install-recommends` after `install`.
    ///
    /// ## References
    /// - hadolint DL3015, Trivy DS029
    pub static RULE = Rule {
        id: "PL2004",
        name: "apt-install-recommends",
        summary: "apt-get install without --no-install-recommends",
        level: Level::Note,
        aliases: &["DL3015", "DS029"],
        tags: &["size", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for run in &ctx.runs {
        if !in_final_image(df, run.ins) {
            continue;
        }
        for (script, pc) in run.packages() {
            if !matches!(pc.manager, Manager::AptGet | Manager::Apt) || !pc.is_install() {
                continue;
            }
            let c = pc.command;
            let off = c.has_flag(&[], &["no-install-recommends"])
                || c.args().iter().any(|a| {
                    a.value.contains("Install-Recommends=false")
                        || a.value.contains("Install-Recommends=0")
                        || a.value.contains("Install-Recommends \"false\"")
                });
            if off {
                continue;
            }
            let sub = pc.subcommand.expect("install has a subcommand");
            let mut f = Finding::new(
                &RULE,
                "add `--no-install-recommends` to avoid installing packages you did not ask for",
            )
            .at(script.command_span(run.ins, c));
            if let Some(span) = script.edit_span(run.ins, c, sub) {
                f = f.fix(Fix::safe(
                    "Add --no-install-recommends",
                    vec![Edit::insert(span.end, " --no-install-recommends")],
                ));
            }
            out.push(f);
        }
    }
    for f in out {
        ctx.report(f);
    }
}
