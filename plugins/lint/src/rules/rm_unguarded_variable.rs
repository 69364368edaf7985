use plimsoll_analysis::shell::syntax::{ParameterOp, PartKind};
use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `rm -r` of a path that starts with a variable followed by `/`
    /// (`"$DIR/"*`, `$PREFIX/lib`) unless written `${DIR:?}` or the variable
    /// is an `ENV` (or `ARG` default) with a non-empty value. An `ARG` without
    /// a default is reported: a build that does not pass it leaves it empty.
    ///
    /// ## Why is this bad?
    /// When the variable is empty or unset — a typo, a missing `ARG` — the path
    /// becomes `/*` or `/lib`, and the build deletes the image's own system.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN rm -rf "$BUILD_DIR"/*
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN rm -rf "${BUILD_DIR:?}"/*
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2115
    pub static RULE = Rule {
        id: "PL2108",
        name: "rm-unguarded-variable",
        summary: "rm -r of a path that is / when a variable is empty",
        level: Level::Warning,
        aliases: &["SC2115"],
        tags: &["correctness", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for c in &s.syntax().commands {
            if !c.is("rm") {
                continue;
            }
            let args = c.args();
            let recursive = args.iter().any(|a| {
                a.raw == "--recursive"
                    || (a.raw.starts_with('-')
                        && !a.raw.starts_with("--")
                        && (a.raw.contains('r') || a.raw.contains('R')))
            });
            if !recursive {
                continue;
            }
            for w in args {
                let [first, second, ..] = w.parts.as_slice() else {
                    continue;
                };
                let PartKind::Parameter(p) = &first.kind else {
                    continue;
                };
                let slash = matches!(&second.kind, PartKind::Literal(t) if t.starts_with('/'));
                // An ENV (or ARG default) with a non-empty value is never empty.
                let set = crate::util::env_before(ctx.df(), s.ins, &p.name)
                    .is_some_and(|v| !v.is_empty());
                if slash && p.op != ParameterOp::ErrorIfUnset && !p.is_special() && !set {
                    out.push(
                        Finding::new(
                            &RULE,
                            format!(
                                "if `{}` is empty this removes `{}`; write `${{{}:?}}` so the shell stops instead",
                                p.name,
                                &w.raw[second.start - w.start..],
                                p.name
                            ),
                        )
                        .at(s.word_span(w)),
                    );
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
