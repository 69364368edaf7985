use plimsoll_analysis::shell::syntax::{PartKind, Quoting};
use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a command substitution (`$(...)` or backticks) written without
    /// double quotes as an argument of a command or of `export`/`local`
    /// (`readonly`, `declare` and `typeset` operands are assignments).
    ///
    /// ## Why is this bad?
    /// The output is split at spaces and newlines and each piece is expanded as
    /// a glob: `chown app $(find /srv -name '*.conf')` breaks on a file name
    /// with a space and may match files nobody named.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get install -y $(cat packages.txt)
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN xargs -a packages.txt apt-get install -y
    /// ```
    /// (or quote it when one word is meant: `"$(dpkg --print-architecture)"`.)
    ///
    /// ## References
    /// - ShellCheck SC2046
    pub static RULE = Rule {
        id: "PL2103",
        name: "unquoted-command-substitution",
        summary: "Command substitution without quotes splits its output",
        level: Level::Warning,
        aliases: &["SC2046"],
        tags: &["correctness", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for c in &s.syntax().commands {
            // `readonly`/`declare` operands are assignments; `export` and
            // `local` ones are read as words by dash and ShellCheck alike.
            let assigning = c.is("readonly") || c.is("declare") || c.is("typeset");
            for w in c
                .words
                .iter()
                .filter(|w| !(assigning && c.assignments.iter().any(|a| a.start == w.start)))
            {
                for p in &w.parts {
                    if p.quoting == Quoting::None
                        && matches!(p.kind, PartKind::CommandSubstitution { .. })
                    {
                        out.push(
                            Finding::new(
                                &RULE,
                                "quote this command substitution, or it splits into words and globs",
                            )
                            .at(s.span(p.start, p.end)),
                        );
                    }
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
