use plimsoll_analysis::shell::syntax::PartKind;
use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a test of `$?` in `[ ... ]` or `[[ ... ]]` (`[ $? -eq 0 ]`)
    /// instead of testing the command itself.
    ///
    /// ## Why is this bad?
    /// Anything run in between — an `echo`, a debugging line added later —
    /// replaces `$?`, and the test silently checks the wrong command.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN make; if [ $? -ne 0 ]; then cat build.log; exit 1; fi
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN if ! make; then cat build.log; exit 1; fi
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2181
    pub static RULE = Rule {
        id: "PL2109",
        name: "indirect-exit-status",
        summary: "Exit status tested through $? instead of directly",
        level: Level::Note,
        aliases: &["SC2181"],
        tags: &["style", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        let syntax = s.syntax();
        let tests = syntax
            .commands
            .iter()
            .filter(|c| c.is("["))
            .map(|c| c.args())
            .chain(syntax.extended_tests.iter().map(|(_, w)| w.as_slice()));
        for args in tests {
            for w in args {
                if let [p] = w.parts.as_slice()
                    && matches!(&p.kind, PartKind::Parameter(r) if r.name == "?")
                {
                    out.push(
                        Finding::new(
                            &RULE,
                            "test the command directly (`if cmd; then`, `cmd || ...`) rather than `$?`",
                        )
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
