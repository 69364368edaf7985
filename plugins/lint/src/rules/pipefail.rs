use plimsoll_analysis::shell::{ScriptOrigin, Sep};
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a shell-form RUN with a pipe when neither `SHELL` (with
    /// `-o pipefail`) nor the script itself (`set -o pipefail`, `set -euo
    /// pipefail`) turns on `pipefail`.
    ///
    /// ## Why is this bad?
    /// A pipeline's status is its last command's: `curl -fsSL url | tar xz`
    /// succeeds when the download fails, and the build goes on with a broken
    /// image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    /// RUN curl -fsSL https://example.com/tool.tgz | tar -xz -C /usr/local/bin
    /// ```
    /// (busybox `ash` also knows `set -o pipefail`.)
    ///
    /// ## References
    /// - hadolint DL4006, Trivy run_pipefail
    pub static RULE = Rule {
        id: "PL2023",
        name: "missing-pipefail",
        summary: "RUN pipeline without pipefail",
        level: Level::Warning,
        aliases: &["DL4006", "DS032"],
        tags: &["correctness"],
    };
}

fn shell_has_pipefail(ctx: &Ctx, ins: &Instruction) -> bool {
    let Some(stage) = ins.stage else { return false };
    let df = ctx.df();
    let mut s = Some(stage);
    while let Some(st) = s {
        let found = df
            .stage_instructions(st)
            .iter()
            .rfind(|i| i.keyword == "SHELL" && i.span.start < ins.span.start);

        if let Some(shell) = found {
            return shell
                .args
                .iter()
                .any(|a| a == "pipefail" || a.contains("pipefail"));
        }
        s = df.stages[st].base_stage;
    }
    false
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        if run.run.json || shell_has_pipefail(ctx, run.run) {
            continue;
        }
        for script in run.scripts {
            if !matches!(
                script.origin,
                ScriptOrigin::ShellForm | ScriptOrigin::Heredoc(_)
            ) {
                continue;
            }
            let cmds = &script.script.commands;
            let mut pipefail = false;
            for c in cmds.iter().filter(|c| c.depth == 0) {
                if c.is("set")
                    && c.args()
                        .iter()
                        .any(|a| a.value == "pipefail" || a.value.contains("pipefail"))
                {
                    pipefail = true;
                }
                if c.after == Sep::Pipe && !pipefail {
                    out.push(Finding::new(&RULE, "this pipeline's failure would be ignored; set `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` or `set -o pipefail`").at(script.command_span(run.ins, c)));
                    break;
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
