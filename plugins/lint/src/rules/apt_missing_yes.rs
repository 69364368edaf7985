use plimsoll_plugin_sdk::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `apt-get install` (and other changing subcommands) without `-y`,
    /// `--yes`, `--assume-yes` or `-qq`.
    ///
    /// ## Why is this bad?
    /// Without it apt asks for confirmation, gets no answer in a build, and
    /// aborts.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get install curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apt-get install -y curl
    /// ```
    ///
    /// ## Fix
    /// Safe: adds `-y` after the subcommand.
    ///
    /// ## References
    /// - hadolint DL3014, Trivy DS021
    pub static RULE = Rule {
        id: "PL2003",
        name: "apt-missing-yes",
        summary: "apt-get install without -y",
        level: Level::Warning,
        aliases: &["DL3014", "DS021"],
        tags: &["correctness", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, pc) in run.packages() {
            if !matches!(pc.manager, Manager::AptGet | Manager::Apt)
                || !pc.is(&[
                    "install",
                    "upgrade",
                    "dist-upgrade",
                    "full-upgrade",
                    "remove",
                    "purge",
                    "autoremove",
                ])
            {
                continue;
            }
            let c = pc.command;
            if c.has_flag(&['y'], &["yes", "assume-yes", "force-yes"])
                || c.args().iter().any(|a| {
                    a.value == "-qq" || a.value.starts_with("-qqy") || a.value == "--quiet=2"
                })
            {
                continue;
            }
            let sub = pc.subcommand.expect("install has a subcommand");
            let mut f = Finding::new(
                &RULE,
                format!(
                    "`apt-get {}` without `-y` waits for input and fails the build",
                    sub.value
                ),
            )
            .at(script.command_span(run.ins, c));
            if let Some(span) = script.edit_span(run.ins, c, sub) {
                f = f.fix(Fix::safe("Add -y", vec![Edit::insert(span.end, " -y")]));
            }
            out.push(f);
        }
    }
    for f in out {
        ctx.report(f);
    }
}
