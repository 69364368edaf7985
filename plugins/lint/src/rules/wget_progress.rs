use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `wget` without `--progress`, `-q`/`--quiet` or `-nv`/`--no-verbose`.
    ///
    /// ## Why is this bad?
    /// wget's default progress bar prints a line per chunk in non-interactive
    /// builds: megabytes of build log for one large download.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN wget https://example.com/big.tar.gz
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN wget --progress=dot:giga https://example.com/big.tar.gz
    /// ```
    ///
    /// ## Fix
    /// Safe: adds `--progress=dot:giga`.
    ///
    /// ## References
    /// - hadolint DL3047
    pub static RULE = Rule {
        id: "PL2025",
        name: "wget-progress",
        summary: "wget without --progress or -q",
        level: Level::Note,
        aliases: &["DL3047"],
        tags: &["style", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, c) in run.commands() {
            if !c.is("wget")
                || c.has_flag(
                    &['q'],
                    &[
                        "quiet",
                        "progress",
                        "no-verbose",
                        "output-file",
                        "append-output",
                    ],
                )
                || c.args()
                    .iter()
                    .any(|a| a.value == "-nv" || a.value.starts_with("-o") || a.value == "-a")
            {
                continue;
            }
            let mut f = Finding::new(
                &RULE,
                "wget's progress bar floods build logs; add `--progress=dot:giga` or `-q`",
            )
            .at(script.command_span(run.ins, c));
            if let Some(i) = c.program_index()
                && let Some(span) = script.edit_span(run.ins, c, &c.words[i])
            {
                f = f.fix(Fix::safe(
                    "Add --progress=dot:giga",
                    vec![Edit::insert(span.end, " --progress=dot:giga")],
                ));
            }
            out.push(f);
        }
    }
    for f in out {
        ctx.report(f);
    }
}
