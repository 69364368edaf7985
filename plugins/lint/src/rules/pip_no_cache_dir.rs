use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::{env_before, in_final_image};

declare_rule! {
    /// ## What it does
    /// Reports `pip install` without `--no-cache-dir` in the final image's stages,
    /// unless `PIP_NO_CACHE_DIR` is set or a cache mount covers pip's cache.
    ///
    /// ## Why is this bad?
    /// pip keeps every downloaded wheel under `/root/.cache/pip` in the layer.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN pip install flask==3.1.0
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN pip install --no-cache-dir flask==3.1.0
    /// ```
    ///
    /// ## Fix
    /// Safe: adds `--no-cache-dir` after `install`.
    ///
    /// ## References
    /// - hadolint DL3042
    pub static RULE = Rule {
        id: "PL2014",
        name: "pip-cache-dir",
        summary: "pip install keeps its cache in the layer",
        level: Level::Warning,
        aliases: &["DL3042"],
        tags: &["size", "fixable"],
    };
}

/// Whether a `PIP_NO_CACHE_DIR` value turns the cache off: any value but a
/// false one (`0`, `false`, `no`, `off`, empty), as hadolint reads it.
fn disables_cache(v: &str) -> bool {
    !matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "no" | "off"
    )
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for run in &ctx.runs {
        if !in_final_image(df, run.ins)
            || run.cache_mounted("/root/.cache/pip")
            || run.cache_mounted("/root/.cache")
        {
            continue;
        }
        let exported = run.commands().any(|(_, c)| {
            c.is("export")
                && c.args().iter().any(|a| {
                    a.value
                        .strip_prefix("PIP_NO_CACHE_DIR=")
                        .is_some_and(disables_cache)
                })
        });
        if exported
            || env_before(df, run.ins, "PIP_NO_CACHE_DIR").is_some_and(|v| disables_cache(&v))
        {
            continue;
        }
        for (script, pc) in run.packages() {
            let c = pc.command;
            if pc.manager != Manager::Pip || !pc.is_install() || c.has_flag(&[], &["no-cache-dir"])
            {
                continue;
            }
            if c.assignments.iter().any(|a| {
                a.value
                    .strip_prefix("PIP_NO_CACHE_DIR=")
                    .is_some_and(disables_cache)
            }) {
                continue;
            }
            let mut f = Finding::new(
                &RULE,
                "use `pip install --no-cache-dir` so downloaded wheels do not stay in the layer",
            )
            .at(script.command_span(run.ins, c));
            if let Some(sub) = pc.subcommand
                && let Some(span) = script.edit_span(run.ins, c, sub)
            {
                f = f.fix(Fix::safe(
                    "Add --no-cache-dir",
                    vec![Edit::insert(span.end, " --no-cache-dir")],
                ));
            }
            out.push(f);
        }
    }
    for f in out {
        ctx.report(f);
    }
}
