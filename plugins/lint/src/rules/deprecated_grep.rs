use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `egrep` and `fgrep`.
    ///
    /// ## Why is this bad?
    /// GNU grep 3.8 prints a warning on every call (`egrep: warning: egrep is
    /// obsolescent`), and minimal images (distroless, some busybox builds) do
    /// not have them at all; `grep -E` and `grep -F` work everywhere.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN egrep -q '^ID=(debian|ubuntu)' /etc/os-release
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN grep -Eq '^ID=(debian|ubuntu)' /etc/os-release
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2196 (egrep), SC2197 (fgrep)
    pub static RULE = Rule {
        id: "PL2114",
        name: "deprecated-grep",
        summary: "egrep/fgrep instead of grep -E/-F",
        level: Level::Note,
        aliases: &["SC2196", "SC2197"],
        tags: &["portability", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for c in &s.syntax().commands {
            for (old, new) in [("egrep", "grep -E"), ("fgrep", "grep -F")] {
                if c.is(old) {
                    let w = &c.words[0];
                    out.push(
                        Finding::new(&RULE, format!("`{old}` is obsolete; use `{new}`"))
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
