use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `NAME= value`: an empty assignment followed by a space and a
    /// word, which the shell runs as a command.
    ///
    /// ## Why is this bad?
    /// `PATH= /opt/bin:$PATH` runs `/opt/bin:...` with an empty `PATH` instead
    /// of setting it. When an empty value is meant for one command, write
    /// `NAME='' command` to say so.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN JAVA_OPTS= -Xmx512m ./gradlew build
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN JAVA_OPTS=-Xmx512m ./gradlew build
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC1007
    pub static RULE = Rule {
        id: "PL2115",
        name: "space-after-assignment",
        summary: "Space after = in an assignment",
        level: Level::Warning,
        aliases: &["SC1007"],
        tags: &["correctness", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for c in &s.syntax().commands {
            for a in &c.assignments {
                // What follows: the command, or another assignment.
                let Some(next) = c
                    .words
                    .iter()
                    .map(|w| (w.start, &w.raw))
                    .chain(c.assignments.iter().map(|b| (b.start, &b.name)))
                    .filter(|(start, _)| *start > a.end)
                    .min_by_key(|(start, _)| *start)
                else {
                    continue;
                };
                let empty = a.value.as_ref().is_some_and(|v| v.raw.is_empty());
                if empty && a.name != "IFS" {
                    let first = next.1;
                    out.push(
                        Finding::new(
                            &RULE,
                            format!("`{}=` is followed by a space, so `{}` is not its value and `{}` is empty; remove the space, or write `{}=''` if empty is meant", a.name, first, a.name, a.name),
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
