use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `COPY` to a relative destination in a stage that has not set
    /// `WORKDIR` (the directory then comes from the base image).
    ///
    /// ## Why is this bad?
    /// `COPY app.py .` lands wherever the base image's WORKDIR happens to be —
    /// usually `/`, and a different place when the base image changes.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.13-slim
    /// COPY app.py .
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM python:3.13-slim
    /// WORKDIR /app
    /// COPY app.py .
    /// ```
    ///
    /// ## References
    /// - hadolint DL3045
    pub static RULE = Rule {
        id: "PL3009",
        name: "copy-relative-dest",
        summary: "COPY to a relative destination without WORKDIR",
        level: Level::Warning,
        aliases: &["DL3045"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for (stage, instructions) in crate::util::scopes(df) {
        // A stage built on one of ours inherits its WORKDIR.
        let mut has_workdir = false;
        let mut s = stage.and_then(|s| df.stages[s].base_stage);
        while let Some(b) = s {
            has_workdir |= df
                .stage_instructions(b)
                .iter()
                .any(|i| i.keyword == "WORKDIR");
            s = df.stages[b].base_stage;
        }
        for ins in instructions {
            if ins.keyword == "WORKDIR" {
                has_workdir = true;
            }
            if ins.keyword != "COPY" || has_workdir || ins.args.len() < 2 {
                continue;
            }
            let dest = plimsoll_plugin_sdk::dockerfile::unquote(
                ins.args.last().expect("len >= 2"),
                df.escape,
            );
            if !crate::util::is_absolute(&dest) {
                out.push(Finding::new(&RULE, format!("`COPY` to `{dest}` without a WORKDIR in this stage; set WORKDIR or use an absolute path")).at(ins.span));
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
