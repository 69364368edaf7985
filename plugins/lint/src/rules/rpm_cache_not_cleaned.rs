use plimsoll_analysis::packages::{Manager, PackageCommand};
use plimsoll_analysis::shell::Command;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::in_final_image;

declare_rule! {
    /// ## What it does
    /// Reports `yum`, `dnf`, `microdnf` or `zypper` commands that fill the
    /// package cache (install, update/upgrade, reinstall, `zypper patch`…) in the
    /// final image's stages without `<tool> clean all` (zypper: `zypper clean`)
    /// or removing the cache directory *after* them in the same RUN: a clean-up
    /// before the install, or `clean metadata`, leaves the packages. A cache or
    /// tmpfs mount on the cache directory is fine.
    ///
    /// ## Why is this bad?
    /// Repository metadata and downloaded packages (often 100+ MB) stay in the
    /// layer.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN dnf install -y httpd
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN dnf install -y httpd && dnf clean all
    /// ```
    ///
    /// ## Fix
    /// Safe: appends `&& <tool> clean all` to the RUN.
    ///
    /// ## References
    /// - hadolint DL3032 (yum), DL3040 (dnf), DL3036 (zypper); Trivy DS015, DS019, DS020, DS027 (microdnf)
    pub static RULE = Rule {
        id: "PL2011",
        name: "rpm-cache-not-cleaned",
        summary: "yum/dnf/microdnf/zypper cache left in the layer",
        level: Level::Warning,
        aliases: &["DL3032", "DL3040", "DL3036", "DS015", "DS019", "DS020", "DS027"],
        tags: &["size", "fixable"],
    };
}

/// Subcommands that download packages or metadata into the cache.
fn fills_cache(pc: &PackageCommand) -> bool {
    pc.is_install()
        || match pc.manager {
            Manager::Zypper => pc.is(&[
                "update",
                "up",
                "patch",
                "dist-upgrade",
                "dup",
                "remove",
                "rm",
                "source-install",
                "si",
            ]),
            _ => pc.is(&[
                "update",
                "upgrade",
                "up",
                "upgrade-minimal",
                "update-minimal",
                "up-min",
                "reinstall",
                "rei",
                "groupinstall",
                "localinstall",
                "distro-sync",
                "dsync",
                "downgrade",
                "swap",
            ]),
        }
}

/// Whether `c` empties `manager`'s cache: `<tool> clean all` (zypper: `clean`,
/// `cc`), or removing a cache directory.
fn cleans(c: &Command, manager: Manager, dirs: &[&str]) -> bool {
    if let Some(p) = PackageCommand::of(c)
        && p.manager == manager
        && p.is(&["clean", "cc"])
    {
        return manager == Manager::Zypper || p.operands.iter().any(|o| o.value == "all");
    }
    c.is("rm")
        && c.args()
            .iter()
            .any(|a| dirs.iter().any(|d| a.value.starts_with(d)))
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for run in &ctx.runs {
        if !in_final_image(df, run.ins) {
            continue;
        }
        for (script, pc) in run.packages() {
            let (tool, clean, covers): (_, _, &[&str]) = match pc.manager {
                Manager::Yum => ("yum", "yum clean all", &["DL3032", "DS015"]),
                Manager::Dnf => ("dnf", "dnf clean all", &["DL3040", "DS019"]),
                Manager::Microdnf => ("microdnf", "microdnf clean all", &["DL3040", "DS027"]),
                Manager::Zypper => ("zypper", "zypper clean --all", &["DL3036", "DS020"]),
                _ => continue,
            };
            // dnf 4 and yum share /var/cache/yum on some distributions; dnf 5
            // uses /var/cache/libdnf5.
            let dirs: &[&str] = if pc.manager == Manager::Zypper {
                &["/var/cache/zypp"]
            } else {
                &["/var/cache/yum", "/var/cache/dnf", "/var/cache/libdnf5"]
            };
            if !fills_cache(pc) || dirs.iter().any(|d| run.cache_mounted(d)) {
                continue;
            }
            if run
                .commands_after(pc.command)
                .any(|(_, c)| cleans(c, pc.manager, dirs))
            {
                continue;
            }
            let mut f = Finding::new(
                &RULE,
                format!(
                    "`{tool}` leaves its cache in the layer; run `{clean}` after it in the same RUN"
                ),
            )
            .at(script.command_span(run.ins, pc.command))
            .covers(covers);
            if let Some(at) = run.scripts.first().and_then(|s| s.append_point(run.ins)) {
                f = f.fix(Fix::safe(
                    format!("Append `&& {clean}`"),
                    vec![Edit::insert(at, format!(" \\\n    && {clean}"))],
                ));
            }
            out.push(f);
            break;
        }
    }
    for f in out {
        ctx.report(f);
    }
}
