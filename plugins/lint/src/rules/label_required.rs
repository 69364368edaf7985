use plimsoll_plugin_sdk::prelude::*;

use super::labels::final_labels;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports labels listed in `[lint] required-labels` (or `label-schema`) that
    /// the final image does not set. Off until you configure one of them.
    ///
    /// ## Why is this bad?
    /// Provenance labels such as `org.opencontainers.image.source` tell scanners,
    /// registries and on-call engineers where an image came from.
    ///
    /// ## Example
    /// With `required-labels = ["org.opencontainers.image.source"]`:
    /// ```dockerfile
    /// FROM alpine:3.22
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// LABEL org.opencontainers.image.source="https://github.com/org/repo"
    /// ```
    ///
    /// ## References
    /// - hadolint DL3049
    pub static RULE = Rule {
        id: "PL3022",
        name: "missing-label",
        summary: "A required label is missing",
        level: Level::Warning,
        aliases: &["DL3049"],
        tags: &["provenance"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut required: Vec<String> = ctx.settings.required_labels.clone();
    required.extend(ctx.settings.label_schema.keys().cloned());
    required.sort();
    required.dedup();
    if required.is_empty() || df.stages.is_empty() {
        return;
    }
    let have: Vec<String> = final_labels(df).into_iter().map(|l| l.key).collect();
    let span = df.instructions[df.stages.last().map(|s| s.from).unwrap_or(0)].span;
    for r in required.iter().filter(|r| !have.contains(r)) {
        ctx.report(
            Finding::new(
                &RULE,
                format!("the final image does not set the label `{r}`"),
            )
            .at(span),
        );
    }
}
