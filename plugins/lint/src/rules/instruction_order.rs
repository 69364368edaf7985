use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports instructions other than `ARG` before the first `FROM`.
    ///
    /// ## Why is this bad?
    /// BuildKit refuses the file: only ARG may precede FROM (to parameterise it).
    ///
    /// ## Example
    /// ```dockerfile
    /// ENV LANG=C.UTF-8
    /// FROM debian:12
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM debian:12
    /// ENV LANG=C.UTF-8
    /// ```
    ///
    /// ## References
    /// - hadolint DL3061
    pub static RULE = Rule {
        id: "PL3019",
        name: "instruction-before-from",
        summary: "Instruction other than ARG before the first FROM",
        level: Level::Error,
        aliases: &["DL3061"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let bad = df
        .instructions
        .iter()
        .find(|i| i.stage.is_none() && i.keyword != "ARG" && i.keyword != "FROM");
    if let Some(ins) = bad {
        let msg = if df.stages.is_empty() {
            format!(
                "`{}` comes before any FROM, and there is no FROM at all",
                ins.keyword
            )
        } else {
            format!(
                "`{}` comes before the first FROM; only ARG may",
                ins.keyword
            )
        };
        ctx.report(Finding::new(&RULE, msg).at(ins.span));
    }
}
