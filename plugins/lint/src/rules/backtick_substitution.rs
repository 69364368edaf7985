use plimsoll_analysis::shell::syntax::PartKind;
use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports command substitution written with backticks.
    ///
    /// ## Why is this bad?
    /// Backticks do not nest without escapes, treat backslashes differently
    /// from `$(...)`, and are easy to misread as quotes — more so in a
    /// Dockerfile where the escape character may be `` ` ``.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN echo "built on `date`" > /build-info
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN echo "built on $(date)" > /build-info
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2006
    pub static RULE = Rule {
        id: "PL2107",
        name: "backtick-substitution",
        summary: "Legacy backtick command substitution",
        level: Level::Note,
        aliases: &["SC2006"],
        tags: &["style", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for w in s.syntax().all_words() {
            for p in &w.parts {
                if matches!(p.kind, PartKind::CommandSubstitution { backtick: true }) {
                    out.push(
                        Finding::new(&RULE, "use `$(...)` instead of backticks")
                            .at(s.span(p.start, p.end)),
                    );
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
