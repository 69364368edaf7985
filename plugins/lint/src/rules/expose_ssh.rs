use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `EXPOSE 22` (SSH).
    ///
    /// ## Why is this bad?
    /// An SSH server in a container is a second way in that needs keys, patching
    /// and auditing; `docker exec` and `kubectl exec` already give operators a
    /// shell.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 22
    /// ```
    ///
    /// ## Use instead
    /// Remove the SSH server; use `docker exec`.
    ///
    /// ## References
    /// - Trivy DS004, Checkov CKV_DOCKER_1
    pub static RULE = Rule {
        id: "PL3016",
        name: "expose-ssh",
        summary: "Port 22 (SSH) exposed",
        level: Level::Warning,
        aliases: &["DS004", "CKV_DOCKER_1"],
        tags: &["security"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df.instructions.iter().filter(|i| i.keyword == "EXPOSE") {
        for (i, arg) in ins.args.iter().enumerate() {
            let port = arg.split('/').next().unwrap_or(arg);
            let hit = port == "22"
                || port.split_once('-').is_some_and(|(a, b)| {
                    a.parse::<u32>()
                        .ok()
                        .zip(b.parse::<u32>().ok())
                        .is_some_and(|(a, b)| a <= 22 && 22 <= b)
                });
            if hit && !arg.ends_with("/udp") {
                out.push(
                    Finding::new(
                        &RULE,
                        "port 22 (SSH) is exposed; use `docker exec` instead of an SSH server",
                    )
                    .at(ins.arg_spans.get(i).copied().unwrap_or(ins.span))
                    .severity(5.0),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
