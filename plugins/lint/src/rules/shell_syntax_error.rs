use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a RUN script (shell form, `sh -c` exec form, or a heredoc body
    /// run by the shell) that the shell cannot parse: an `if` without `;` before
    /// `then`, an unclosed quote or `$(`, a `done` without a loop. The finding
    /// points at where the shell gives up.
    ///
    /// ## Why is this bad?
    /// The build stops at this RUN with `syntax error`, after every earlier
    /// layer has been built; or, when the error is in a branch that a quoting
    /// slip hides, the script runs something other than what was written.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN if [ "$TARGETARCH" = amd64 ] then echo x86; fi
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN if [ "$TARGETARCH" = amd64 ]; then echo x86; fi
    /// ```
    ///
    /// ## References
    /// - ShellCheck's parse errors (SC1009, SC1072, SC1073 and the other SC1xxx
    ///   errors hadolint reports, SC1010, `then` without `;`, which dash and
    ///   bash reject, and SC3001, process substitution `<(...)`, which dash
    ///   rejects); the other PL21xx rules skip a script that does not parse.
    pub static RULE = Rule {
        id: "PL2101",
        name: "shell-syntax-error",
        summary: "RUN script the shell cannot parse",
        level: Level::Error,
        aliases: &["SC1009", "SC1010", "SC3001", "SC1072", "SC1073", "SC1089", "SC1044", "SC1036", "SC1046", "SC1047", "SC1056", "SC1058", "SC1075"],
        tags: &["correctness", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, false) {
        if let Some(e) = &s.syntax().error {
            out.push(Finding::new(&RULE, e.message.clone()).at(s.span(e.at, e.at)));
        }
    }
    for f in out {
        ctx.report(f);
    }
}
