use plimsoll_plugin_sdk::prelude::*;

use super::shell_analysis;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `ln` with a single operand and no `-t`/`--target-directory`.
    ///
    /// ## Why is this bad?
    /// `ln -s /opt/app/bin/tool` makes the link in the current directory —
    /// usually `/`, or wherever the last `WORKDIR` was — not where a reader
    /// expects; most often the destination was forgotten.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN ln -s /opt/node/bin/node
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN ln -s /opt/node/bin/node /usr/local/bin/node
    /// ```
    ///
    /// ## References
    /// - ShellCheck SC2226
    pub static RULE = Rule {
        id: "PL2110",
        name: "ln-without-destination",
        summary: "ln without a destination",
        level: Level::Warning,
        aliases: &["SC2226"],
        tags: &["correctness", "shell"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for s in shell_analysis::scripts(ctx, true) {
        for c in &s.syntax().commands {
            if !c.is("ln") {
                continue;
            }
            let mut operands = 0;
            let mut target = false;
            let mut options_done = false;
            let mut args = c.args().iter();
            while let Some(a) = args.next() {
                let r = a.raw.as_str();
                if !options_done && r == "--" {
                    options_done = true;
                } else if !options_done && (r == "-t" || r == "--target-directory") {
                    target = true;
                    args.next();
                } else if !options_done
                    && (r.starts_with("--target-directory=")
                        || (r.starts_with("-t") && r.len() > 2 && !r.starts_with("--")))
                {
                    target = true;
                } else if !options_done && r.starts_with('-') && r.len() > 1 {
                    // Options without values (`-s`, `-f`, `-sfn`, `--force`).
                    if matches!(r, "-S" | "--suffix") {
                        args.next();
                    }
                } else {
                    operands += 1;
                }
            }
            if operands == 1 && !target {
                out.push(
                    Finding::new(
                        &RULE,
                        "this `ln` has no destination: the link is made in the current directory; name the destination (or `.`)",
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
