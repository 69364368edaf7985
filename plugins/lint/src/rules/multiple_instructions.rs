//! CMD, ENTRYPOINT and HEALTHCHECK can appear once per stage: only the last one
//! counts.

use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

pub(super) fn report_repeats(ctx: &mut Ctx, rule: &'static Rule, keyword: &str) {
    let df = ctx.df();
    let mut out = Vec::new();
    for stage in ctx.doc.stages() {
        let found: Vec<&Instruction> = df
            .stage_instructions(stage.index)
            .iter()
            .filter(|i| i.keyword == keyword)
            .collect();
        if let Some(last) = found.last() {
            let last_line = df.position(last.span.start).line;
            for ins in &found[..found.len() - 1] {
                out.push(Finding::new(rule, format!("this {keyword} has no effect: only the last {keyword} of a stage counts (line {last_line})")).at(ins.span));
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
