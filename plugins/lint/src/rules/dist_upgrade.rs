use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `apt-get dist-upgrade` / `full-upgrade` and `zypper dist-upgrade` /
    /// `dup` in RUN.
    ///
    /// ## Why is this bad?
    /// A distribution upgrade inside an image build can move the image to a new
    /// release behind the base image's back, pull in new major versions and break
    /// packages; the base image is the place to change releases.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get dist-upgrade -y
    /// ```
    ///
    /// ## Use instead
    /// Use a newer base image tag (or digest), or `apt-get upgrade` for security
    /// updates within the release.
    ///
    /// ## References
    /// - Trivy DS024, hadolint DL3035 (zypper), DL3005 (retired)
    pub static RULE = Rule {
        id: "PL2006",
        name: "dist-upgrade",
        summary: "Distribution upgrade inside the build",
        level: Level::Warning,
        aliases: &["DS024", "DL3035", "DL3005"],
        tags: &["reproducibility"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, pc) in run.packages() {
            let hit = match pc.manager {
                Manager::AptGet | Manager::Apt | Manager::Aptitude => {
                    pc.is(&["dist-upgrade", "full-upgrade"])
                }
                Manager::Zypper => pc.is(&["dist-upgrade", "dup"]),
                _ => false,
            };
            if hit {
                let sub = pc.subcommand.map(|s| s.value.as_str()).unwrap_or("");
                out.push(
                    Finding::new(&RULE, format!("`{} {sub}` upgrades the distribution inside the build; change the base image instead", pc.manager.name()))
                        .at(script.command_span(run.ins, pc.command))
                        .covers(if pc.manager == Manager::Zypper { &["DL3035"] } else { &["DS024", "DL3005"] }),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
