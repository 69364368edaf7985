use plimsoll_plugin_sdk::prelude::*;

use super::labels::final_labels;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports labels set to an empty value.
    ///
    /// ## Why is this bad?
    /// An empty label carries no information but looks like it does; it usually
    /// means a build argument was not passed.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG VERSION
    /// LABEL org.opencontainers.image.version=""
    /// ```
    ///
    /// ## Use instead
    /// Set a value, or drop the label.
    ///
    /// ## References
    /// - hadolint DL3051
    pub static RULE = Rule {
        id: "PL3024",
        name: "empty-label",
        summary: "Label value is empty",
        level: Level::Warning,
        aliases: &["DL3051"],
        tags: &["provenance"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let labels = final_labels(ctx.df());
    for l in labels {
        if l.value.trim().is_empty() {
            ctx.report(Finding::new(&RULE, format!("label `{}` is empty", l.key)).at(l.value_span));
        }
    }
}
