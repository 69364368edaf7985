use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports instruction keywords not written in upper case (`run`, `From`).
    ///
    /// ## Why is this bad?
    /// Keywords are case-insensitive, but upper case is the universal convention
    /// that makes instructions stand out from their arguments; BuildKit warns about
    /// inconsistent casing.
    ///
    /// ## Example
    /// ```dockerfile
    /// from alpine:3.22
    /// run apk add --no-cache curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM alpine:3.22
    /// RUN apk add --no-cache curl
    /// ```
    ///
    /// ## Fix
    /// Safe: upper-cases the keyword.
    ///
    /// ## References
    /// - BuildKit check ConsistentInstructionCasing
    pub static RULE = Rule {
        id: "PL3027",
        name: "instruction-casing",
        summary: "Instruction keyword is not upper case",
        level: Level::Note,
        aliases: &["ConsistentInstructionCasing"],
        tags: &["style", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in &df.instructions {
        let mut pairs = vec![(ins.written_keyword.as_str(), ins.keyword_span)];
        if let Some(t) = &ins.onbuild {
            pairs.push((t.written_keyword.as_str(), t.keyword_span));
        }
        for (written, span) in pairs {
            let upper = written.to_ascii_uppercase();
            if written != upper && ins.is_known() {
                out.push(
                    Finding::new(&RULE, format!("write `{upper}` in upper case"))
                        .at(span)
                        .fix(Fix::safe(
                            format!("Write {upper}"),
                            vec![Edit::replace(span, upper.clone())],
                        )),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
