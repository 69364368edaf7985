use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `sudo` in RUN, and CMD/ENTRYPOINT/HEALTHCHECK commands that start
    /// with `sudo`.
    ///
    /// ## Why is this bad?
    /// Build steps already run as the current `USER`; `sudo` needs a TTY and
    /// password setup, behaves unpredictably in builds, and leaves a setuid binary
    /// and a sudoers policy in the image for anyone who gets in. Switch `USER` for
    /// the steps that need root instead (or use `gosu` at runtime).
    ///
    /// ## Example
    /// ```dockerfile
    /// USER app
    /// RUN sudo apt-get install -y curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// USER root
    /// RUN apt-get install -y curl
    /// USER app
    /// ```
    ///
    /// ## References
    /// - hadolint DL3004, Trivy DS010, Checkov CKV2_DOCKER_1
    pub static RULE = Rule {
        id: "PL2021",
        name: "sudo-used",
        summary: "sudo used in RUN",
        level: Level::Error,
        aliases: &["DL3004", "DS010", "CKV2_DOCKER_1"],
        tags: &["security"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        if let Some((script, c)) = run.commands().find(|(_, c)| {
            c.words
                .first()
                .is_some_and(|w| plimsoll_analysis::shell::basename(&w.value) == "sudo")
        }) {
            out.push(
                Finding::new(
                    &RULE,
                    "do not use `sudo`; switch USER for steps that need root",
                )
                .at(script.command_span(run.ins, c))
                .severity(6.0),
            );
        }
    }
    let df = ctx.df();
    for ins in df
        .instructions
        .iter()
        .filter(|i| matches!(i.keyword.as_str(), "CMD" | "ENTRYPOINT" | "HEALTHCHECK"))
    {
        let first = if ins.json {
            ins.args.iter().find(|a| a.as_str() != "CMD").cloned()
        } else {
            ins.args
                .iter()
                .find(|a| a.as_str() != "CMD")
                .and_then(|a| a.split_whitespace().next().map(str::to_string))
        };
        if first.as_deref().map(plimsoll_analysis::shell::basename) == Some("sudo") {
            out.push(
                Finding::new(
                    &RULE,
                    format!("{} runs `sudo`; set USER instead", ins.keyword),
                )
                .at(ins.span)
                .severity(6.0),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
