use plimsoll_plugin_sdk::prelude::*;

use super::multiple_instructions::report_repeats;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports an ENTRYPOINT followed by another ENTRYPOINT in the same stage.
    ///
    /// ## Why is this bad?
    /// Only the last one takes effect.
    ///
    /// ## Example
    /// ```dockerfile
    /// ENTRYPOINT ["/entrypoint.sh"]
    /// ENTRYPOINT ["tini", "--"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// ENTRYPOINT ["tini", "--", "/entrypoint.sh"]
    /// ```
    ///
    /// ## References
    /// - hadolint DL4004, Trivy DS007, BuildKit check MultipleInstructionsDisallowed
    pub static RULE = Rule {
        id: "PL3012",
        name: "multiple-entrypoint",
        summary: "More than one ENTRYPOINT in a stage",
        level: Level::Error,
        aliases: &["DL4004", "DS007", "MultipleInstructionsDisallowed"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    report_repeats(ctx, &RULE, "ENTRYPOINT");
}
