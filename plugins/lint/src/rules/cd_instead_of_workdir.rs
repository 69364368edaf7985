use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `cd` in RUN.
    ///
    /// ## Why is this bad?
    /// `cd` lasts for one RUN only, so later instructions quietly run elsewhere;
    /// `WORKDIR` states the directory for every following instruction and makes
    /// the Dockerfile easier to follow. `cd` inside a subshell that returns is
    /// still reported: prefer `make -C dir` and `--prefix`-style flags.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN cd /app && npm ci
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// WORKDIR /app
    /// RUN npm ci
    /// ```
    ///
    /// ## References
    /// - hadolint DL3003, Trivy DS013
    pub static RULE = Rule {
        id: "PL2020",
        name: "cd-instead-of-workdir",
        summary: "cd used in RUN instead of WORKDIR",
        level: Level::Warning,
        aliases: &["DL3003", "DS013"],
        tags: &["style"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        if let Some((script, c)) = run.commands().find(|(_, c)| c.is("cd")) {
            let to = c
                .args()
                .first()
                .map(|a| format!(" `{}`", a.value))
                .unwrap_or_default();
            out.push(
                Finding::new(
                    &RULE,
                    format!("use WORKDIR{to} instead of `cd`, which only lasts for this RUN"),
                )
                .at(script.command_span(run.ins, c)),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
