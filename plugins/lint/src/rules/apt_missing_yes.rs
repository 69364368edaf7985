use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `apt-get install` (and other changing subcommands) without `-y`,
    /// `--yes`, `--assume-yes` or `-qq`.
    ///
    /// ## Why is this bad?
    /// Without it apt asks for confirmation, gets no answer in a build, and
    /// aborts.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get install curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apt-get install -y curl
    /// ```
    ///
    /// ## Fix
    /// Safe: adds `-y` after the subcommand.
    ///
    /// ## References
    /// - hadolint DL3014, Trivy DS021
    pub static RULE = Rule {
        id: "PL2003",
        name: "apt-missing-yes",
        summary: "apt-get install without -y",
        level: Level::Warning,
        aliases: &["DL3014", "DS021"],
        tags: &["correctness", "fixable"],
    };
}

/// apt's quiet level: `-q` and `--quiet` add one each (`-qq`, `-q -q`,
/// `--quiet --quiet`), `-q=N`/`--quiet=N` set it. Level 2 implies `-y`.
fn quiet_level(c: &plimsoll_analysis::shell::Command) -> u32 {
    let mut level = 0;
    for a in c.args() {
        let v = a.value.as_str();
        if let Some(n) = v.strip_prefix("--quiet=").or_else(|| v.strip_prefix("-q=")) {
            level = n.parse().unwrap_or(level);
        } else if v == "--quiet" {
            level += 1;
        } else if let Some(short) = v.strip_prefix('-')
            && !short.starts_with('-')
        {
            let cluster = short.split('=').next().unwrap_or(short);
            level += cluster.chars().filter(|&ch| ch == 'q').count() as u32;
        }
    }
    level
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, pc) in run.packages() {
            if !matches!(pc.manager, Manager::AptGet | Manager::Apt)
                || !pc.is(&[
                    "install",
                    "upgrade",
                    "dist-upgrade",
                    "full-upgrade",
                    "remove",
                    "purge",
                    "autoremove",
                ])
            {
                continue;
            }
            let c = pc.command;
            if c.has_flag(&['y'], &["yes", "assume-yes", "force-yes"]) || quiet_level(c) >= 2 {
                continue;
            }
            let sub = pc.subcommand.expect("install has a subcommand");
            let mut f = Finding::new(
                &RULE,
                format!(
                    "`apt-get {}` without `-y` waits for input and fails the build",
                    sub.value
                ),
            )
            .at(script.command_span(run.ins, c));
            if let Some(span) = script.edit_span(run.ins, c, sub) {
                f = f.fix(Fix::safe("Add -y", vec![Edit::insert(span.end, " -y")]));
            }
            out.push(f);
        }
    }
    for f in out {
        ctx.report(f);
    }
}
