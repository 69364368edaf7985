use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::list;

declare_rule! {
    /// ## What it does
    /// Reports `apt-get install` (and `apt install`) of packages without a version
    /// (`curl` instead of `curl=7.88.1-10+deb12u5`).
    ///
    /// ## Why is this bad?
    /// Unpinned packages make two builds of the same commit differ. Pinning has a
    /// cost (Debian removes old versions from its mirrors), so teams that rebuild
    /// often may prefer to pin the base image digest instead and ignore this rule.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5
    /// ```
    ///
    /// ## References
    /// - hadolint DL3008
    pub static RULE = Rule {
        id: "PL2001",
        name: "apt-unpinned",
        summary: "apt-get install without version pins",
        level: Level::Warning,
        aliases: &["DL3008"],
        tags: &["reproducibility", "pinning"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, pc) in run.packages() {
            if !matches!(pc.manager, Manager::AptGet | Manager::Apt) {
                continue;
            }
            let unpinned =
                pc.unpinned_given(&|v| crate::util::variable_known(ctx.df(), run.ins, v));
            if unpinned.is_empty() {
                continue;
            }
            let names: Vec<&str> = unpinned.iter().map(|w| w.value.as_str()).collect();
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "pin versions in apt-get install: {} (`name=version`)",
                        list(&names)
                    ),
                )
                .at(script.command_span(run.ins, pc.command)),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
