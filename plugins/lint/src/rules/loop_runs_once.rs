use plimsoll_analysis::shell::syntax::{PartKind, Quoting};
use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a `for` loop over a single literal word.
    ///
    /// ## Why is this bad?
    /// `for pkg in "curl git make"` runs once with the whole string; a quoted
    /// list or a forgotten `$` (`for f in FILES`) is the usual cause.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN for pkg in "curl git"; do apk add --no-cache "$pkg"; done
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN for pkg in curl git; do apk add --no-cache "$pkg"; done
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2043
    pub static RULE = Rule {
        id: "PL2112",
        name: "loop-runs-once",
        summary: "for loop over one literal word runs once",
        level: Level::Warning,
        aliases: &["SC2043"],
        tags: &["correctness", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for f in &s.syntax().for_loops {
            let [w] = f.values.as_slice() else { continue };
            let literal = w.parts.iter().all(|p| match &p.kind {
                PartKind::Literal(t) => {
                    p.quoting != Quoting::None || !t.contains(['*', '?', '[', '{'])
                }
                _ => false,
            });
            if literal {
                out.push(
                    Finding::new(
                        &RULE,
                        format!("this loop runs once, with `{}`; unquote the list or add the missing `$`", w.raw),
                    )
                    .at(s.word_span(w)),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
