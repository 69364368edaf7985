use plimsoll_analysis::packages::{Manager, PackageCommand};
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::in_final_image;

declare_rule! {
    /// ## What it does
    /// Reports, in the final image's stages, `yarn install` without
    /// `yarn cache clean`, `npm install`/`npm ci` without `npm cache clean --force`
    /// (or `--cache` pointing elsewhere), and `gem install` without
    /// `--no-document`, in the same RUN. A cache mount on the cache directory is
    /// fine.
    ///
    /// ## Why is this bad?
    /// Package caches and generated documentation stay in the layer: often more
    /// megabytes than the application itself.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN yarn install --frozen-lockfile
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN yarn install --frozen-lockfile && yarn cache clean
    /// ```
    /// or `RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install`.
    ///
    /// ## References
    /// - hadolint DL3060 (yarn); the npm and gem cases are plimsoll's own
    pub static RULE = Rule {
        id: "PL2018",
        name: "package-cache-left",
        summary: "yarn/npm/gem cache left in the layer",
        level: Level::Note,
        aliases: &["DL3060"],
        tags: &["size"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for run in &ctx.runs {
        if !in_final_image(df, run.ins) {
            continue;
        }
        let pcs: Vec<_> = run.packages().collect();
        // `<m> cache clean`, or removing a cache directory containing `dir`, after `c`.
        let cleans_after = |m: Manager, c, dir: &str| {
            run.commands_after(c).any(|(_, x)| {
                PackageCommand::of(x).is_some_and(|p| {
                    p.manager == m
                        && p.is(&["cache"])
                        && p.operands.first().is_some_and(|o| o.value == "clean")
                }) || x.is("rm") && x.args().iter().any(|a| a.value.contains(dir))
            })
        };
        for (script, pc) in &pcs {
            let c = pc.command;
            let covers: &[&str] = if pc.manager == Manager::Yarn {
                &["DL3060"]
            } else {
                &[]
            };
            let msg = match pc.manager {
                Manager::Yarn
                    if pc.is(&["install", "add"])
                        || (pc.subcommand.is_none() && c.args().is_empty()) =>
                {
                    if cleans_after(Manager::Yarn, c, ".cache/yarn")
                        || run.cache_mounted("/usr/local/share/.cache/yarn")
                        || run.cache_mounted("/root/.cache/yarn")
                    {
                        continue;
                    }
                    "`yarn install` leaves the yarn cache in the layer; run `yarn cache clean` in the same RUN"
                }
                Manager::Npm if pc.is(&["install", "i", "ci", "add"]) => {
                    if cleans_after(Manager::Npm, c, ".npm")
                        || c.has_flag(&[], &["cache"])
                        || run.cache_mounted("/root/.npm")
                    {
                        continue;
                    }
                    "`npm install` leaves ~/.npm in the layer; run `npm cache clean --force` in the same RUN or use a cache mount"
                }
                Manager::Gem if pc.is_install() => {
                    if c.has_flag(&[], &["no-document", "no-doc", "no-rdoc", "no-ri"])
                        || c.args().iter().any(|a| a.value == "-N")
                    {
                        continue;
                    }
                    "`gem install` generates documentation into the layer; add `--no-document`"
                }
                _ => continue,
            };
            out.push(
                Finding::new(&RULE, msg)
                    .at(script.command_span(run.ins, c))
                    .covers(covers),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
