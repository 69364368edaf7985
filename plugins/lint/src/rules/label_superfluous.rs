use plimsoll_plugin_sdk::prelude::*;

use super::labels::final_labels;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// With `[lint] strict-labels = true`, reports labels that `label-schema`
    /// does not list.
    ///
    /// ## Why is this bad?
    /// Teams that standardise labels want typos (`org.opencontainers.image.sorce`)
    /// and ad-hoc keys caught.
    ///
    /// ## Example
    /// ```dockerfile
    /// LABEL org.opencontainers.image.sorce=https://github.com/org/repo
    /// ```
    ///
    /// ## Use instead
    /// Only the labels in `label-schema`.
    ///
    /// ## References
    /// - hadolint DL3050
    pub static RULE = Rule {
        id: "PL3023",
        name: "superfluous-label",
        summary: "Label not in label-schema (strict-labels)",
        level: Level::Note,
        aliases: &["DL3050"],
        tags: &["provenance"],
    };
}

pub fn check(ctx: &mut Ctx) {
    if !ctx.settings.strict_labels {
        return;
    }
    let labels = final_labels(ctx.df());
    for l in labels {
        if !ctx.settings.label_schema.contains_key(&l.key) {
            ctx.report(
                Finding::new(&RULE, format!("label `{}` is not in label-schema", l.key))
                    .at(l.key_span),
            );
        }
    }
}
