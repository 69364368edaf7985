use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a stage that uses both `wget` and `curl`.
    ///
    /// ## Why is this bad?
    /// Two tools that do the same job means two packages (and their CVEs) where
    /// one would do.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN wget -q https://example.com/a && curl -fsSLO https://example.com/b
    /// ```
    ///
    /// ## Use instead
    /// Pick one: `curl -fsSLO` for both downloads.
    ///
    /// ## References
    /// - hadolint DL4001, Trivy DS014
    pub static RULE = Rule {
        id: "PL2024",
        name: "wget-and-curl",
        summary: "Both wget and curl are used",
        level: Level::Warning,
        aliases: &["DL4001", "DS014"],
        tags: &["size"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for stage in ctx.doc.stages() {
        let runs: Vec<_> = ctx
            .runs
            .iter()
            .filter(|r| r.stage() == Some(stage.index))
            .collect();
        let wget = runs.iter().any(|r| r.runs("wget"));
        let curl = runs.iter().find_map(|r| {
            r.commands()
                .find(|(_, c)| c.is("curl"))
                .map(|(s, c)| (r, s.command_span(r.ins, c)))
        });
        if let (true, Some((_, span))) = (wget, curl) {
            out.push(
                Finding::new(&RULE, "this stage uses both wget and curl; use one of them").at(span),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
