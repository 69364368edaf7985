use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis::{self, SafeVariables};
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a variable expanded without double quotes in a command's
    /// arguments or a redirection, when its value may hold spaces or glob
    /// characters: a variable the script assigns from a command or a string
    /// with spaces, or one neither the script nor an `ARG`/`ENV` in scope
    /// defines.
    ///
    /// Not reported: `$?`, `$#`, `${#x}` (numbers), variables the script only
    /// assigns single literal words, loop variables over such words, and the
    /// `ARG`/`ENV` variables in scope — the image author's own settings, often
    /// word lists meant to split (`apk add $PHPIZE_DEPS`), as hadolint judges
    /// them.
    ///
    /// ## Why is this bad?
    /// The shell splits an unquoted value at spaces and expands `*` and `?` in
    /// it: `rm -rf $DIR` with `DIR="/opt/my app"` removes `/opt/my` and `app`.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN DIR=$(mktemp -d) && tar -xzf app.tgz -C $DIR
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN DIR=$(mktemp -d) && tar -xzf app.tgz -C "$DIR"
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2086 (hadolint reports it on every RUN)
    pub static RULE = Rule {
        id: "PL2102",
        name: "unquoted-expansion",
        summary: "Variable expanded without quotes may split or glob",
        level: Level::Note,
        aliases: &["SC2086"],
        tags: &["correctness", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        let safe = SafeVariables::new(ctx, &s);
        for c in &s.syntax().commands {
            let operands = c
                .words
                .iter()
                // `export A=$x` assigns: no splitting.
                .filter(|w| !c.assignments.iter().any(|a| a.start == w.start))
                .chain(&c.redirect_targets);
            for w in operands {
                for (p, start, end) in shell_analysis::unquoted_parameters(w) {
                    if matches!(p.name.as_str(), "@" | "*") || safe.safe(p, start) {
                        continue;
                    }
                    out.push(
                        Finding::new(
                            &RULE,
                            format!("`{}` is not quoted: its value may split into several words or expand as a glob; write \"{}\"", &w.raw[start - w.start..end - w.start], &w.raw[start - w.start..end - w.start]),
                        )
                        .at(s.span(start, end)),
                    );
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
