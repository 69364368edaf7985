use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports variables in a `FROM` line that no `ARG` before the first `FROM`
    /// declares, and declared ones without a default (the platform ARGs BuildKit
    /// defines, such as `TARGETARCH`, are fine).
    ///
    /// ## Why is this bad?
    /// An undeclared variable expands to nothing (`FROM ${BASE}` becomes `FROM `),
    /// and an ARG without default fails the build unless every caller passes
    /// `--build-arg`. Only ARGs before the first FROM are visible to FROM lines.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:${NODE_VERSION}-slim
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// ARG NODE_VERSION=22
    /// FROM node:${NODE_VERSION}-slim
    /// ```
    ///
    /// ## References
    /// - BuildKit checks UndefinedArgInFrom and InvalidDefaultArgInFrom
    pub static RULE = Rule {
        id: "PL1013",
        name: "undefined-arg-in-from",
        summary: "FROM uses an ARG that is undeclared or has no default",
        level: Level::Warning,
        aliases: &["UndefinedArgInFrom", "InvalidDefaultArgInFrom"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for s in ctx.doc.stages() {
        for var in &s.base_unresolved {
            if plimsoll_plugin_sdk::dockerfile::AUTOMATIC_PLATFORM_ARGS.contains(&var.as_str()) {
                continue;
            }
            let declared = df.global_args.iter().any(|a| &a.name == var);
            let msg = if declared {
                format!(
                    "`{var}` has no default, so `{}` needs `--build-arg {var}=...`; give it a default",
                    s.base_as_written
                )
            } else {
                let later = df.instructions[s.from..].iter().any(|i| {
                    i.keyword == "ARG"
                        && i.args
                            .iter()
                            .any(|a| a.split('=').next() == Some(var.as_str()))
                });
                if later {
                    format!(
                        "`{var}` is declared after the first FROM, where FROM lines cannot see it; declare it before the first FROM"
                    )
                } else {
                    format!("`{var}` is not declared; add `ARG {var}=...` before the first FROM")
                }
            };
            out.push(Finding::new(&RULE, msg).at(s.base_span));
        }
    }
    for f in out {
        ctx.report(f);
    }
}
