use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `ln -s /bin/bash /bin/sh` (or another shell over `/bin/sh`) in RUN.
    ///
    /// ## Why is this bad?
    /// Replacing `/bin/sh` changes the shell for every script in the image,
    /// including the distribution's own maintainer scripts. `SHELL` changes it
    /// for the Dockerfile only.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN ln -sf /bin/bash /bin/sh
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    /// ```
    ///
    /// ## References
    /// - hadolint DL4005
    pub static RULE = Rule {
        id: "PL2028",
        name: "shell-via-symlink",
        summary: "Default shell changed with ln instead of SHELL",
        level: Level::Warning,
        aliases: &["DL4005"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, c) in run.commands() {
            if c.is("ln") && c.args().last().is_some_and(|a| a.value == "/bin/sh") {
                out.push(
                    Finding::new(
                        &RULE,
                        "use the SHELL instruction instead of replacing /bin/sh",
                    )
                    .at(script.command_span(run.ins, c)),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
