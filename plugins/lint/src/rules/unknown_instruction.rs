use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports instructions BuildKit does not know (`FORM`, `RUNN`, a stray line
    /// of a broken continuation).
    ///
    /// When `# syntax=` selects a frontend other than `docker/dockerfile`, the
    /// instruction may be that frontend's own, so it is only a note.
    ///
    /// ## Why is this bad?
    /// `docker build` stops at it ("unknown instruction"). BuildKit's parser keeps
    /// such lines, so plimsoll reports them with every other problem at once.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.22
    /// RUN apk add --no-cache curl
    ///     jq
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apk add --no-cache curl \
    ///     jq
    /// ```
    ///
    /// ## References
    /// - BuildKit (instruction stage)
    pub static RULE = Rule {
        id: "PL9001",
        name: "unknown-instruction",
        summary: "Unknown instruction",
        level: Level::Error,
        tags: &["syntax"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let custom_frontend = df.directive("syntax").is_some_and(|d| {
        let v = d.value.trim_start_matches("docker.io/");
        !v.starts_with("docker/dockerfile")
    });
    let level = if custom_frontend {
        Level::Note
    } else {
        Level::Error
    };

    let mut out = Vec::new();
    for ins in &df.instructions {
        let candidates = [Some(ins), ins.onbuild.as_deref()];
        for i in candidates.into_iter().flatten() {
            if !i.is_known() {
                let prev_continues = df.text[..ins.span.start].trim_end().ends_with(['&', '|']);
                let hint = if prev_continues {
                    " (did the previous line miss a `\\` continuation?)"
                } else {
                    ""
                };
                out.push(
                    Finding::new(
                        &RULE,
                        format!("unknown instruction `{}`{hint}", i.written_keyword),
                    )
                    .at(i.keyword_span)
                    .level(level),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
