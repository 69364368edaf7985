use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports empty lines inside a line continuation.
    ///
    /// ## Why is this bad?
    /// BuildKit skips them with a warning ("Empty continuation lines will become
    /// errors in a future release"); they usually mean a `\` was left at the end
    /// of the previous line by mistake.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apk add --no-cache \
    ///
    ///     curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apk add --no-cache \
    ///     curl
    /// ```
    ///
    /// ## References
    /// - BuildKit check NoEmptyContinuation
    pub static RULE = Rule {
        id: "PL9006",
        name: "empty-continuation",
        summary: "Empty line inside a line continuation",
        level: Level::Warning,
        aliases: &["NoEmptyContinuation"],
        tags: &["syntax"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let found: Vec<Span> = df.warnings.iter().map(|w| w.span).collect();
    for span in found {
        ctx.report(
            Finding::new(
                &RULE,
                "empty line inside a continuation; BuildKit will reject these",
            )
            .at(span),
        );
    }
}
