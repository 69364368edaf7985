use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `useradd` with a large UID (over 65535) without `-l`/
    /// `--no-log-init`.
    ///
    /// ## Why is this bad?
    /// `useradd` reserves space for the user in the sparse `/var/log/lastlog` and
    /// `faillog` files; with a large UID that is gigabytes of zeros in the layer
    /// (Docker stores sparse files expanded).
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN useradd -u 123456 app
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN useradd -l -u 123456 app
    /// ```
    ///
    /// ## Fix
    /// Safe: adds `-l`.
    ///
    /// ## References
    /// - hadolint DL3046
    pub static RULE = Rule {
        id: "PL2026",
        name: "useradd-no-log-init",
        summary: "useradd with a high UID without -l",
        level: Level::Warning,
        aliases: &["DL3046"],
        tags: &["size", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, c) in run.commands() {
            if !c.is("useradd") || c.has_flag(&['l'], &["no-log-init"]) {
                continue;
            }
            let Some(uid) = c.flag_value(&['u'], &["uid"]) else {
                continue;
            };
            let high = uid.len() > 5 || uid.parse::<u64>().is_ok_and(|n| n > 65_535);
            if !high {
                continue;
            }
            let mut f = Finding::new(&RULE, format!("`useradd -u {uid}` without `-l` writes huge sparse lastlog/faillog files into the layer")).at(script.command_span(run.ins, c));
            if let Some(i) = c.program_index()
                && let Some(span) = script.edit_span(run.ins, c, &c.words[i])
            {
                f = f.fix(Fix::safe("Add -l", vec![Edit::insert(span.end, " -l")]));
            }
            out.push(f);
        }
    }
    for f in out {
        ctx.report(f);
    }
}
