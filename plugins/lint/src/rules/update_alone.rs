use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports a RUN that updates the package index (`apt-get update`,
    /// `apk update`, `yum makecache`...) but installs nothing in the same RUN.
    ///
    /// ## Why is this bad?
    /// The index is cached in its own layer, so a later `RUN apt-get install` keeps
    /// using the stale index from cache long after the repository moved on, and
    /// installs fail when old package versions disappear.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update
    /// RUN apt-get install -y curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y curl
    /// ```
    ///
    /// ## References
    /// - Trivy DS017, Checkov CKV_DOCKER_5
    pub static RULE = Rule {
        id: "PL2007",
        name: "update-alone",
        summary: "Package index update without an install in the same RUN",
        level: Level::Warning,
        aliases: &["DS017", "CKV_DOCKER_5"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        let pcs: Vec<_> = run.packages().collect();
        let update = pcs.iter().find(|(_, p)| match p.manager {
            Manager::AptGet | Manager::Apt | Manager::Apk | Manager::Zypper => {
                p.is(&["update", "refresh", "ref"])
            }
            Manager::Yum | Manager::Dnf | Manager::Microdnf => p.is(&["makecache", "check-update"]),
            _ => false,
        });
        let Some((script, up)) = update else { continue };
        let installs = pcs.iter().any(|(_, p)| {
            p.manager.install_subcommands().iter().any(|s| p.is(&[s]))
                || p.is(&["upgrade", "dist-upgrade", "full-upgrade", "update-minimal"])
                    && p.manager != up.manager
                || (p.manager == up.manager && p.is(&["upgrade", "dist-upgrade", "full-upgrade"]))
        });
        if !installs {
            out.push(
                Finding::new(&RULE, format!("`{} update` alone leaves a stale package index in its own cached layer; install in the same RUN", up.manager.name()))
                    .at(script.command_span(run.ins, up.command)),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
