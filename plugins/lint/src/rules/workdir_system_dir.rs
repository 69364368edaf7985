use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `WORKDIR` set to a system directory (`/`, `/proc`, `/sys`, `/dev`,
    /// `/boot`, `/etc`, `/bin`, `/usr/bin`, `/lib`...).
    ///
    /// ## Why is this bad?
    /// Commands and `COPY . .` then write into directories the system owns, where
    /// they shadow system files or vanish under runtime mounts (`/proc`, `/sys`,
    /// `/dev`).
    ///
    /// ## Example
    /// ```dockerfile
    /// WORKDIR /usr/bin
    /// COPY . .
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// WORKDIR /app
    /// ```
    ///
    /// ## References
    /// - Trivy DS030
    pub static RULE = Rule {
        id: "PL3005",
        name: "workdir-system-dir",
        summary: "WORKDIR points at a system directory",
        level: Level::Warning,
        aliases: &["DS030"],
        tags: &["security"],
    };
}

const SYSTEM: &[&str] = &[
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/etc",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib",
    "/initrd",
];

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    let mut out = Vec::new();
    for ins in df.instructions.iter().filter(|i| i.keyword == "WORKDIR") {
        let Some(arg) = ins.args.first() else {
            continue;
        };
        let p = plimsoll_plugin_sdk::dockerfile::unquote(arg, df.escape);
        let p = p.trim_end_matches('/');
        if SYSTEM.iter().any(|s| {
            p == *s
                || p.starts_with(&format!("{s}/"))
                    && matches!(*s, "/proc" | "/sys" | "/dev" | "/boot")
        }) {
            out.push(Finding::new(&RULE, format!("`WORKDIR {arg}` works inside a system directory; use a directory of your own such as /app")).at(ins.span));
        }
    }
    for f in out {
        ctx.report(f);
    }
}
