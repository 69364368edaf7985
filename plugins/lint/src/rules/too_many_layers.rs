use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Notes a final stage with more layer-creating instructions (RUN, COPY, ADD)
    /// than `[lint] max-layers` (default 5, as our container-image guidance
    /// suggests).
    ///
    /// ## Why is this bad?
    /// Every layer is pulled, stored and unpacked separately; files changed in a
    /// later layer are still shipped in the earlier one. A thin custom layer on a
    /// good base is the goal.
    ///
    /// ## Example
    /// Six RUN/COPY instructions in the final stage.
    ///
    /// ## Use instead
    /// Build in an earlier stage and `COPY --from` the result; merge related RUNs
    /// (a RUN heredoc helps).
    ///
    /// ## References
    /// - plimsoll's own
    pub static RULE = Rule {
        id: "PL5001",
        name: "too-many-layers",
        summary: "Final stage creates more layers than max-layers",
        level: Level::Note,
        tags: &["size"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let Some(last) = df.stages.last() else { return };
    let max = ctx.settings.max_layers.unwrap_or(5) as usize;
    let n = df
        .stage_instructions(last.index)
        .iter()
        .filter(|i| matches!(i.keyword.as_str(), "RUN" | "COPY" | "ADD"))
        .count();
    if n > max {
        ctx.report(
            Finding::new(
                &RULE,
                format!("the final stage adds {n} layers (RUN/COPY/ADD); the budget is {max}"),
            )
            .at(df.instructions[last.from].span),
        );
    }
}
