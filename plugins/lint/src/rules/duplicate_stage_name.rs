use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a stage name (`FROM ... AS name`) used twice; names compare
    /// case-insensitively.
    ///
    /// ## Why is this bad?
    /// BuildKit refuses the Dockerfile (`duplicate stage name`); legacy builders
    /// silently let the later stage shadow the earlier one for `COPY --from`.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// FROM node:22 AS build
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM golang:1.23 AS build-go
    /// FROM node:22 AS build-web
    /// ```
    ///
    /// ## References
    /// - hadolint DL3024, Trivy DS012, Checkov CKV_DOCKER_11, BuildKit check DuplicateStageName
    pub static RULE = Rule {
        id: "PL1006",
        name: "duplicate-stage-name",
        summary: "Two stages have the same name",
        level: Level::Error,
        aliases: &["DL3024", "DS012", "CKV_DOCKER_11", "DuplicateStageName"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let stages = ctx.doc.stages();
    for (i, s) in stages.iter().enumerate() {
        let Some(name) = &s.name else { continue };
        if let Some(first) = stages[..i].iter().find(|p| p.name.as_ref() == Some(name)) {
            let line = ctx
                .df()
                .position(ctx.df().instructions[first.from].span.start)
                .line;
            ctx.report(
                Finding::new(
                    &RULE,
                    format!("stage name `{name}` is already used by the stage on line {line}"),
                )
                .at(s.name_span.unwrap_or(s.base_span)),
            );
        }
    }
}
