use plimsoll_plugin_sdk::prelude::*;

use super::multiple_instructions::report_repeats;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a CMD followed by another CMD in the same stage.
    ///
    /// ## Why is this bad?
    /// Only the last CMD takes effect; the earlier ones mislead readers.
    ///
    /// ## Example
    /// ```dockerfile
    /// CMD ["nginx"]
    /// CMD ["nginx", "-g", "daemon off;"]
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// CMD ["nginx", "-g", "daemon off;"]
    /// ```
    ///
    /// ## References
    /// - hadolint DL4003, Trivy DS016, BuildKit check MultipleInstructionsDisallowed
    pub static RULE = Rule {
        id: "PL3011",
        name: "multiple-cmd",
        summary: "More than one CMD in a stage",
        level: Level::Warning,
        aliases: &["DL4003", "DS016", "MultipleInstructionsDisallowed"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    report_repeats(ctx, &RULE, "CMD");
}
