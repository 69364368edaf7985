use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `find` whose first operand is an expression (`find -name x`)
    /// rather than a starting path.
    ///
    /// ## Why is this bad?
    /// GNU find searches the current directory then, but busybox (Alpine) and
    /// BSD find need the path; in a RUN the current directory is whatever the
    /// last `WORKDIR` was, often `/`, so the search covers the whole image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN find -name '*.pyc' -delete
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN find /app -name '*.pyc' -delete
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2185
    pub static RULE = Rule {
        id: "PL2111",
        name: "find-without-path",
        summary: "find without a starting path",
        level: Level::Note,
        aliases: &["SC2185"],
        tags: &["portability", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for c in &s.syntax().commands {
            if !c.is("find") {
                continue;
            }
            // Options before the paths: -H, -L, -P, -D debugopts, -O level.
            let mut args = c.args().iter().peekable();
            while let Some(a) = args.peek() {
                match a.raw.as_str() {
                    "-H" | "-L" | "-P" => {
                        args.next();
                    }
                    "-D" => {
                        args.next();
                        args.next();
                    }
                    r if r.starts_with("-O") => {
                        args.next();
                    }
                    _ => break,
                }
            }
            let first = args.next().and_then(|a| a.literal());
            if first.is_some_and(|f| f.starts_with('-') || f == "(" || f == "!") {
                out.push(
                    Finding::new(
                        &RULE,
                        "name the directory to search (`find . -name ...`); busybox and BSD find require it",
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
