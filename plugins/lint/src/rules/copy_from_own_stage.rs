use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `COPY --from=` naming the stage the COPY is in.
    ///
    /// ## Why is this bad?
    /// A stage cannot copy from itself; BuildKit fails with a circular dependency.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12 AS app
    /// COPY --from=app /etc/passwd /tmp/
    /// ```
    ///
    /// ## Use instead
    /// Copy inside the stage with `RUN cp`, or from an earlier stage.
    ///
    /// ## References
    /// - hadolint DL3023, Trivy DS006
    pub static RULE = Rule {
        id: "PL1007",
        name: "copy-from-own-stage",
        summary: "COPY --from refers to its own stage",
        level: Level::Error,
        aliases: &["DL3023", "DS006"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    for ins in df.instructions.iter().filter(|i| i.keyword == "COPY") {
        let (Some(flag), Some(stage)) = (ins.flag("from"), ins.stage) else {
            continue;
        };
        let Some(v) = &flag.value else { continue };
        let own = &df.stages[stage];
        let by_name = own
            .name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(v));
        let by_index = v.parse::<usize>().ok() == Some(stage);
        if by_name || by_index {
            ctx.report(
                Finding::new(
                    &RULE,
                    format!("`--from={v}` refers to the stage this COPY is in"),
                )
                .at(flag.span),
            );
        }
    }
}
