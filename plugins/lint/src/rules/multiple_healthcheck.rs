use plimsoll_plugin_sdk::prelude::*;

use super::multiple_instructions::report_repeats;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a HEALTHCHECK followed by another HEALTHCHECK in the same stage.
    ///
    /// ## Why is this bad?
    /// Only the last one takes effect.
    ///
    /// ## Example
    /// ```dockerfile
    /// HEALTHCHECK CMD curl -f http://localhost/ || exit 1
    /// HEALTHCHECK CMD wget -q -O- http://localhost/health || exit 1
    /// ```
    ///
    /// ## Use instead
    /// One HEALTHCHECK per stage.
    ///
    /// ## References
    /// - hadolint DL3012, Trivy DS023, BuildKit check MultipleInstructionsDisallowed
    pub static RULE = Rule {
        id: "PL3013",
        name: "multiple-healthcheck",
        summary: "More than one HEALTHCHECK in a stage",
        level: Level::Error,
        aliases: &["DL3012", "DS023", "MultipleInstructionsDisallowed"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    report_repeats(ctx, &RULE, "HEALTHCHECK");
}
