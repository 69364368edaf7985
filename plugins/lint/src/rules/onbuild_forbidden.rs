use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `ONBUILD ONBUILD`, `ONBUILD FROM` and `ONBUILD MAINTAINER`.
    ///
    /// ## Why is this bad?
    /// BuildKit refuses them: "Chaining ONBUILD via `ONBUILD ONBUILD` isn't
    /// allowed" and "FROM/MAINTAINER isn't allowed as an ONBUILD trigger".
    ///
    /// ## Example
    /// ```dockerfile
    /// ONBUILD FROM alpine:3.22
    /// ```
    ///
    /// ## Use instead
    /// ONBUILD triggers may be any other instruction (`ONBUILD COPY . /app`).
    ///
    /// ## References
    /// - hadolint DL3043
    pub static RULE = Rule {
        id: "PL3017",
        name: "onbuild-forbidden-trigger",
        summary: "ONBUILD triggers ONBUILD, FROM or MAINTAINER",
        level: Level::Error,
        aliases: &["DL3043"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df.instructions.iter().filter(|i| i.keyword == "ONBUILD") {
        if let Some(t) = &ins.onbuild
            && matches!(t.keyword.as_str(), "ONBUILD" | "FROM" | "MAINTAINER")
        {
            out.push(
                Finding::new(
                    &RULE,
                    format!("`{}` is not allowed as an ONBUILD trigger", t.keyword),
                )
                .at(ins.span),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
