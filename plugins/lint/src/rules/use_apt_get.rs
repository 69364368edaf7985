use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `apt` (the interactive front end) in RUN.
    ///
    /// ## Why is this bad?
    /// `apt` has no stable command-line interface ("WARNING: apt does not have a
    /// stable CLI interface. Use with caution in scripts."): its output and
    /// behaviour change between releases. `apt-get` and `apt-cache` are meant for
    /// scripts.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt update && apt install -y curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y curl
    /// ```
    ///
    /// ## Fix
    /// Safe: `apt` -> `apt-get` for install, update, upgrade, remove, purge and
    /// autoremove.
    ///
    /// ## References
    /// - hadolint DL3027, Checkov CKV_DOCKER_9
    pub static RULE = Rule {
        id: "PL2005",
        name: "use-apt-get",
        summary: "apt used instead of apt-get",
        level: Level::Warning,
        aliases: &["DL3027", "CKV_DOCKER_9"],
        tags: &["correctness", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, pc) in run.packages() {
            if pc.manager != Manager::Apt {
                continue;
            }
            let c = pc.command;
            let mut f = Finding::new(
                &RULE,
                "use `apt-get` (or `apt-cache`) in scripts, not `apt`",
            )
            .at(script.command_span(run.ins, c));
            let name = c.program_index().map(|i| &c.words[i]);
            if pc.is(&[
                "install",
                "update",
                "upgrade",
                "remove",
                "purge",
                "autoremove",
                "dist-upgrade",
                "full-upgrade",
            ]) && let Some(w) = name
                && w.raw == "apt"
                && let Some(span) = script.edit_span(run.ins, c, w)
            {
                f = f.fix(Fix::safe(
                    "Use apt-get",
                    vec![Edit::replace(span, "apt-get")],
                ));
            }
            out.push(f);
        }
    }
    for f in out {
        ctx.report(f);
    }
}
