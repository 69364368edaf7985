use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports stage names written with capital letters.
    ///
    /// ## Why is this bad?
    /// Stage names are case-insensitive (`--from=Build` and `--from=build` are the
    /// same stage), so mixed case only invites inconsistent references.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS Builder
    /// COPY --from=builder /x /y
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM golang:1.23 AS builder
    /// ```
    ///
    /// ## Fix
    /// Safe: lower-cases the name and every reference to it in the file.
    ///
    /// ## References
    /// - BuildKit check StageNameCasing
    pub static RULE = Rule {
        id: "PL1011",
        name: "stage-name-casing",
        summary: "Stage name is not lowercase",
        level: Level::Note,
        aliases: &["StageNameCasing"],
        tags: &["style", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for s in ctx.doc.stages() {
        let Some(span) = s.name_span else { continue };
        let written = df.slice(span);
        if written == written.to_ascii_lowercase() {
            continue;
        }
        let lower = written.to_ascii_lowercase();
        let mut edits = vec![Edit::replace(span, lower.clone())];
        for ins in &df.instructions {
            for f in ins.flags.iter().filter(|f| f.name == "from") {
                if f.value
                    .as_deref()
                    .is_some_and(|v| v.eq_ignore_ascii_case(&lower) && v != lower)
                {
                    let text = df.slice(f.span);
                    edits.push(Edit::replace(
                        f.span,
                        text.replacen(f.value.as_deref().unwrap_or(""), &lower, 1),
                    ));
                }
            }
        }
        for other in ctx.doc.stages() {
            if other.base_stage == Some(s.index)
                && other.base_as_written != lower
                && other.base_as_written.eq_ignore_ascii_case(&lower)
            {
                edits.push(Edit::replace(other.base_span, lower.clone()));
            }
        }
        out.push(
            Finding::new(&RULE, format!("stage name `{written}` should be lowercase"))
                .at(span)
                .fix(Fix::safe(format!("Rename to `{lower}` everywhere"), edits)),
        );
    }
    for f in out {
        ctx.report(f);
    }
}
