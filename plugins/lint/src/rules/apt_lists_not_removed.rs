use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::in_final_image;

declare_rule! {
    /// ## What it does
    /// Reports a RUN in the final image's stages that runs `apt-get install` (or
    /// `apt-get update`; also `apt`, `aptitude`) but does not delete
    /// `/var/lib/apt/lists` in the same RUN. A cache or tmpfs mount on
    /// `/var/lib/apt` (or its `lists`) is fine — when the Dockerfile removes
    /// Debian's `docker-clean` hook, only together with one on `/var/cache/apt`.
    /// Build stages whose files never reach the final image are not reported.
    ///
    /// ## Why is this bad?
    /// The package lists (tens of MB) stay in the layer forever; deleting them in a
    /// later RUN does not shrink the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl \
    ///     && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// ## Fix
    /// Safe: appends `&& rm -rf /var/lib/apt/lists/*` to the RUN.
    ///
    /// ## References
    /// - hadolint DL3009
    pub static RULE = Rule {
        id: "PL2002",
        name: "apt-lists-not-removed",
        summary: "apt lists are not removed in the RUN that created them",
        level: Level::Note,
        aliases: &["DL3009"],
        tags: &["size", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    // Debian images delete downloaded .debs after each install
    // (/etc/apt/apt.conf.d/docker-clean); once a RUN removes that hook, later
    // ones keep them in /var/cache/apt unless that is mounted too.
    let hook_removed_at = ctx
        .runs
        .iter()
        .find(|r| {
            r.commands().any(|(_, c)| {
                c.is("rm") && c.args().iter().any(|a| a.value.contains("docker-clean"))
            })
        })
        .map(|r| r.index);
    let mut out = Vec::new();
    for run in &ctx.runs {
        let keeps_debs = hook_removed_at.is_some_and(|i| i <= run.index);
        let lists_mounted = run.cache_mounted("/var/lib/apt/lists");
        if !in_final_image(df, run.ins)
            || lists_mounted && (!keeps_debs || run.cache_mounted("/var/cache/apt"))
        {
            continue;
        }
        let apt = run.packages().find(|(_, p)| {
            matches!(
                p.manager,
                Manager::AptGet | Manager::Apt | Manager::Aptitude
            ) && (p.is_install() || p.is(&["update"]))
        });
        let Some((script, pc)) = apt else { continue };
        let removed = run.commands().any(|(_, c)| {
            c.is("rm")
                && c.args()
                    .iter()
                    .any(|a| a.value.starts_with("/var/lib/apt/lists"))
        }) || run.commands().any(|(_, c)| {
            c.is("find")
                && c.args()
                    .iter()
                    .any(|a| a.value.starts_with("/var/lib/apt/lists"))
        });
        if removed {
            continue;
        }
        let msg = if lists_mounted {
            "docker-clean is removed, so .debs stay in /var/cache/apt: mount it as a cache too, or delete the caches in the same RUN"
        } else {
            "delete /var/lib/apt/lists in the same RUN (`rm -rf /var/lib/apt/lists/*`) or use a cache mount"
        };
        let mut f = Finding::new(&RULE, msg).at(script.command_span(run.ins, pc.command));
        if let Some(at) = run.scripts.first().and_then(|s| s.append_point(run.ins)) {
            f = f.fix(Fix::safe(
                "Append `&& rm -rf /var/lib/apt/lists/*`",
                vec![Edit::insert(at, " \\\n    && rm -rf /var/lib/apt/lists/*")],
            ));
        }
        out.push(f);
    }
    for f in out {
        ctx.report(f);
    }
}
