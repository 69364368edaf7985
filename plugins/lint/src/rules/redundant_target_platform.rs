use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `FROM --platform=$TARGETPLATFORM`, which is what every stage gets
    /// without the flag.
    ///
    /// ## Why is this bad?
    /// It adds noise and suggests a cross-compilation setup that is not there.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM --platform=$TARGETPLATFORM alpine:3.22
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM alpine:3.22
    /// ```
    ///
    /// ## Fix
    /// Safe: removes the flag.
    ///
    /// ## References
    /// - hadolint DL3065, BuildKit check RedundantTargetPlatform
    pub static RULE = Rule {
        id: "PL1005",
        name: "redundant-target-platform",
        summary: "FROM --platform=$TARGETPLATFORM is the default",
        level: Level::Note,
        aliases: &["DL3065", "RedundantTargetPlatform"],
        tags: &["style", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    for s in ctx.doc.stages() {
        let ins = &df.instructions[s.from];
        let Some(flag) = ins.flag("platform") else {
            continue;
        };
        if !matches!(
            flag.value.as_deref(),
            Some("$TARGETPLATFORM" | "${TARGETPLATFORM}")
        ) {
            continue;
        }
        // Delete the flag and the whitespace after it.
        let rest = &df.text[flag.span.end..];
        let ws = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        ctx.report(
            Finding::new(
                &RULE,
                "`--platform=$TARGETPLATFORM` is the default; remove it",
            )
            .at(flag.span)
            .fix(Fix::safe(
                "Remove the redundant --platform flag",
                vec![Edit::delete(Span::new(flag.span.start, flag.span.end + ws))],
            )),
        );
    }
}
