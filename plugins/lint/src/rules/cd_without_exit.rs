use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a `cd` whose failure nothing checks: not followed by `&&` or
    /// `||`, not a condition, in a script without `set -e` (RUN's `/bin/sh -c`
    /// does not stop on errors unless told to).
    ///
    /// ## Why is this bad?
    /// When the directory is missing, `cd /build; make install` runs `make` in
    /// the wrong directory and the layer ends up with something else.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN cd /src/app; make install
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// WORKDIR /src/app
    /// RUN make install
    /// ```
    /// (or `cd /src/app && make install`.)
    ///
    /// ## References
    /// - ShellCheck SC2164
    pub static RULE = Rule {
        id: "PL2104",
        name: "cd-without-exit",
        summary: "cd whose failure is not checked",
        level: Level::Warning,
        aliases: &["SC2164"],
        tags: &["correctness", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        if shell_analysis::errexit(&s) {
            continue;
        }
        for c in &s.syntax().commands {
            if c.is("cd") && !c.checked {
                out.push(
                    Finding::new(
                        &RULE,
                        "if this `cd` fails, the commands after it run in the wrong directory; use `cd ... &&` or `cd ... || exit`",
                    )
                    .at(s.span(c.start, c.end)),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
