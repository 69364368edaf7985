use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports stages named `scratch` or `context`, and names BuildKit rejects
    /// (they must start with a letter and hold only letters, digits, `-`, `_`, `.`).
    ///
    /// ## Why is this bad?
    /// `scratch` and `context` already mean something to BuildKit; other invalid
    /// names fail the build.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.22 AS scratch
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM alpine:3.22 AS base
    /// ```
    ///
    /// ## References
    /// - BuildKit check ReservedStageName
    pub static RULE = Rule {
        id: "PL1016",
        name: "invalid-stage-name",
        summary: "Stage name is reserved or invalid",
        level: Level::Error,
        aliases: &["DL3063", "ReservedStageName"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in ctx.doc.stages() {
        let (Some(name), Some(span)) = (&s.name, s.name_span) else {
            continue;
        };
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
        if name == "scratch" || name == "context" {
            out.push(
                Finding::new(
                    &RULE,
                    format!("`{name}` is a reserved name; pick another stage name"),
                )
                .at(span),
            );
        } else if !valid && !name.contains('$') {
            out.push(Finding::new(&RULE, format!("`{name}` is not a valid stage name (a letter, then letters, digits, `-`, `_` or `.`)")).at(span));
        }
    }
    for f in out {
        ctx.report(f);
    }
}
