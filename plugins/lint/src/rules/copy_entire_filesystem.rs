use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `COPY --from=stage / /`: copying a whole filesystem from another
    /// stage. (Copying `/` of an external image is a deliberate way to replicate
    /// it and is left alone.)
    ///
    /// ## Why is this bad?
    /// It defeats the point of multi-stage builds: every compiler, cache and
    /// credential file of the build stage lands in the final image.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY --from=build / /
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// COPY --from=build /out/app /usr/local/bin/app
    /// ```
    ///
    /// ## References
    /// - hadolint DL3067
    pub static RULE = Rule {
        id: "PL1015",
        name: "copy-entire-filesystem",
        summary: "COPY --from copies a whole filesystem",
        level: Level::Warning,
        aliases: &["DL3067"],
        tags: &["size", "security"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for (idx, ins) in df
        .instructions
        .iter()
        .enumerate()
        .filter(|(_, i)| i.keyword == "COPY")
    {
        let Some(from) = ins.flag("from").and_then(|f| f.value.as_deref()) else {
            continue;
        };
        // Only stages: copying `/` of an external image is a deliberate replication.
        // In a fragment (no FROM) the stage is out of view: judge it as one.
        if df.stage_ref(from, idx).is_none() && !df.stages.is_empty() {
            continue;
        }
        let unq: Vec<String> = ins
            .args
            .iter()
            .map(|a| plimsoll_plugin_sdk::dockerfile::unquote(a, df.escape))
            .collect();
        if unq.len() >= 2
            && unq[..unq.len() - 1].iter().any(|s| s == "/")
            && unq.last().map(String::as_str) == Some("/")
        {
            out.push(
                Finding::new(
                    &RULE,
                    "copies the entire filesystem of another stage; copy only what the image needs",
                )
                .at(ins.span),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
