use plimsoll_analysis::shell::syntax::PartKind;
use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `export`, `local`, `declare`, `readonly` or `typeset` that
    /// assigns a command substitution in the same command:
    /// `export VERSION=$(cat VERSION)`.
    ///
    /// ## Why is this bad?
    /// The command's status is the builtin's (0), not the substitution's: with
    /// `&&` chains or `set -e` the failure of `cat` goes unnoticed and the
    /// variable is empty.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN export VERSION=$(cat VERSION) && make VERSION="$VERSION"
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN VERSION=$(cat VERSION) && export VERSION && make VERSION="$VERSION"
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2155
    pub static RULE = Rule {
        id: "PL2105",
        name: "declare-masks-status",
        summary: "export/local assigns a command substitution and hides its status",
        level: Level::Warning,
        aliases: &["SC2155"],
        tags: &["correctness", "shell"],
    };
}

const DECLARATIONS: &[&str] = &["export", "local", "declare", "typeset", "readonly"];

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for c in &s.syntax().commands {
            if !DECLARATIONS.iter().any(|d| c.is(d)) {
                continue;
            }
            for a in c.assignments.iter().filter(|a| a.start > c.words[0].start) {
                let substitutes = a.value.as_ref().is_some_and(|v| {
                    v.parts
                        .iter()
                        .any(|p| matches!(p.kind, PartKind::CommandSubstitution { .. }))
                });
                if substitutes {
                    out.push(
                        Finding::new(
                            &RULE,
                            format!(
                                "`{}` hides the status of the command substitution; assign `{}` first, then `{} {}`",
                                c.name().unwrap_or_default(),
                                a.name,
                                c.name().unwrap_or_default(),
                                a.name
                            ),
                        )
                        .at(s.span(a.start, a.end)),
                    );
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
