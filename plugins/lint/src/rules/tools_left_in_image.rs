use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use super::toolchains::{is_build_tool, is_debug_tool};
use crate::Ctx;
use crate::util::{in_final_image, list};

declare_rule! {
    /// ## What it does
    /// Reports compilers, build headers (`*-dev`, `*-devel`) and debugging tools
    /// (`vim`, `strace`, `gdb`, `netcat`, `tcpdump`...) installed in the stages of
    /// the final image and not removed in the same RUN (`apt-get purge`,
    /// `apk del` of the `--virtual` group, `dnf remove`).
    ///
    /// ## Why is this bad?
    /// Build tools bloat the image and its CVE count; debugging and network tools
    /// are what an attacker who gets a shell reaches for first. Removing them in a
    /// later RUN does not shrink the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \
    ///     && pip install --no-cache-dir psycopg2==2.9.10
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev \
    ///     && pip install --no-cache-dir psycopg2==2.9.10 \
    ///     && apt-get purge -y --auto-remove gcc libpq-dev && rm -rf /var/lib/apt/lists/*
    /// ```
    /// or build the wheel in an earlier stage.
    ///
    /// ## References
    /// - our container-image guidance (thin final layer, no toolchains in the runtime image)
    pub static RULE = Rule {
        id: "PL5004",
        name: "tools-left-in-image",
        summary: "Build or debugging tools left in the final image",
        level: Level::Warning,
        tags: &["size", "security"],
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
        // What this RUN removes again: names, and apk --virtual groups deleted.
        let mut removed: Vec<String> = Vec::new();
        let mut auto_remove = false;
        for (_, pc) in &pcs {
            let removes = match pc.manager {
                Manager::AptGet | Manager::Apt => pc.is(&["purge", "remove", "autoremove"]),
                Manager::Apk => pc.is(&["del"]),
                Manager::Yum | Manager::Dnf | Manager::Microdnf | Manager::Zypper => {
                    pc.is(&["remove", "erase", "rm", "autoremove"])
                }
                _ => false,
            };
            if removes {
                removed.extend(pc.operands.iter().map(|o| o.value.clone()));
                auto_remove |= pc.command.has_flag(&[], &["auto-remove", "autoremove"])
                    || pc.is(&["autoremove"]);
            }
        }
        for (script, pc) in &pcs {
            if !pc.is_install()
                || !matches!(
                    pc.manager,
                    Manager::AptGet
                        | Manager::Apt
                        | Manager::Apk
                        | Manager::Yum
                        | Manager::Dnf
                        | Manager::Microdnf
                        | Manager::Zypper
                )
            {
                continue;
            }
            if pc.manager == Manager::Apk
                && let Some(v) = pc.command.flag_value(&['t'], &["virtual"])
                && removed.iter().any(|r| r == v)
            {
                continue;
            }
            let left: Vec<&str> = pc
                .packages()
                .iter()
                .map(|w| w.value.as_str())
                .filter(|p| {
                    (is_build_tool(p) || is_debug_tool(p))
                        && !removed
                            .iter()
                            .any(|r| r == p.split(['=', '~']).next().unwrap_or(p))
                })
                .collect();
            if left.is_empty()
                || (auto_remove && left.iter().all(|p| !is_debug_tool(p)) && !removed.is_empty())
            {
                continue;
            }
            let kind = if left.iter().any(|p| is_debug_tool(p)) {
                "debugging/build tools"
            } else {
                "build tools"
            };
            out.push(
                Finding::new(&RULE, format!("{kind} {} stay in the final image; remove them in the same RUN or build in another stage", list(&left)))
                    .at(script.command_span(run.ins, pc.command)),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
