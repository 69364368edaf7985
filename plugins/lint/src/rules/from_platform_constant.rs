use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `FROM --platform=` with a constant value (`linux/amd64`).
    ///
    /// ## Why is this bad?
    /// A constant platform pins the stage to one architecture, so
    /// `docker buildx build --platform linux/arm64` silently builds amd64 binaries
    /// (emulated, slow) or an image that cannot run. Use `$BUILDPLATFORM` for
    /// stages that cross-compile, and leave the flag out otherwise.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM --platform=linux/amd64 golang:1.23 AS build
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM --platform=$BUILDPLATFORM golang:1.23 AS build
    /// ```
    ///
    /// ## References
    /// - hadolint DL3029, BuildKit check FromPlatformFlagConstDisallowed
    pub static RULE = Rule {
        id: "PL1004",
        name: "from-platform-constant",
        summary: "FROM --platform is set to a constant",
        level: Level::Warning,
        aliases: &["DL3029", "FromPlatformFlagConstDisallowed"],
        tags: &["portability"],
    };
}

pub fn check(ctx: &mut Ctx) {
    for s in ctx.doc.stages() {
        let ins = &ctx.df().instructions[s.from];
        if let Some(flag) = ins.flag("platform")
            && let Some(p) = &flag.value
            && !p.contains('$')
        {
            ctx.report(
                Finding::new(&RULE, format!("`--platform={p}` pins this stage to one platform; use `$BUILDPLATFORM` or drop it"))
                    .at(flag.span),
            );
        }
    }
}
