use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a pipe into a command that does not read its input: `echo`,
    /// `rm`, `cp`, `mv`, `ln`, `mkdir`, `touch`, `kill`, `cd`, `sleep`...
    ///
    /// ## Why is this bad?
    /// The data is thrown away: `find . -name '*.tmp' | rm` removes nothing
    /// (and fails); `xargs` or `cat` was meant.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN find /tmp -name '*.log' | rm -f
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN find /tmp -name '*.log' -delete
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2216
    pub static RULE = Rule {
        id: "PL2113",
        name: "pipe-to-non-reader",
        summary: "Pipe into a command that ignores its input",
        level: Level::Warning,
        aliases: &["SC2216"],
        tags: &["correctness", "shell"],
    };
}

const IGNORE_STDIN: &[&str] = &[
    "echo", "rm", "cp", "mv", "ln", "mkdir", "rmdir", "touch", "kill", "killall", "cd", "sleep",
    "true", "false", "chmod", "chown",
];

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for c in &s.syntax().commands {
            if c.pipeline_index == 0 {
                continue;
            }
            if let Some(name) = IGNORE_STDIN.iter().find(|n| c.is(n)) {
                out.push(
                    Finding::new(
                        &RULE,
                        format!("`{name}` does not read its input, so what is piped into it is lost; did you mean `xargs {name}`?"),
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
