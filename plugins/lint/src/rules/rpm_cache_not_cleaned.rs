use plimsoll_plugin_sdk::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;
use crate::util::in_final_image;

declare_rule! {
    /// ## What it does
    /// Reports `yum`, `dnf`, `microdnf` or `zypper` installs in the final image's
    /// stages without `<tool> clean all` (zypper: `zypper clean`), or removing
    /// `/var/cache/<tool>`, in the same RUN. A cache mount on the cache directory
    /// is fine.
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

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for run in &ctx.runs {
        if !in_final_image(df, run.ins) {
            continue;
        }
        let pcs: Vec<_> = run.packages().collect();
        for (script, pc) in &pcs {
            let (tool, cache, clean, covers): (_, _, _, &[&str]) = match pc.manager {
                Manager::Yum => (
                    "yum",
                    "/var/cache/yum",
                    "yum clean all",
                    &["DL3032", "DS015"],
                ),
                Manager::Dnf => (
                    "dnf",
                    "/var/cache/dnf",
                    "dnf clean all",
                    &["DL3040", "DS019"],
                ),
                Manager::Microdnf => (
                    "microdnf",
                    "/var/cache/yum",
                    "microdnf clean all",
                    &["DL3040", "DS027"],
                ),
                Manager::Zypper => (
                    "zypper",
                    "/var/cache/zypp",
                    "zypper clean --all",
                    &["DL3036", "DS020"],
                ),
                _ => continue,
            };
            if !pc.is_install() && !pc.is(&["update", "upgrade", "up"]) {
                continue;
            }
            if run.cache_mounted(cache) {
                continue;
            }
            let cleaned = pcs
                .iter()
                .any(|(_, p)| p.manager == pc.manager && p.is(&["clean", "cc"]))
                || run.commands().any(|(_, c)| {
                    c.is("rm")
                        && c.args().iter().any(|a| {
                            a.value.starts_with(cache)
                                || a.value.starts_with("/var/cache/dnf")
                                || a.value.starts_with("/var/cache/yum")
                        })
                });
            if cleaned {
                continue;
            }
            let mut f = Finding::new(
                &RULE,
                format!("`{tool}` leaves its cache in the layer; run `{clean}` in the same RUN"),
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
