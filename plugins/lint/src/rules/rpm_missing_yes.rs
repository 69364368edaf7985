use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `yum install`, `dnf install` and `zypper install` without the
    /// non-interactive switch (`-y`/`--assumeyes`; zypper also `-n`/
    /// `--non-interactive`).
    ///
    /// ## Why is this bad?
    /// The command asks for confirmation, gets no answer in a build, and aborts.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN dnf install httpd
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN dnf install -y httpd && dnf clean all
    /// ```
    ///
    /// ## Fix
    /// Safe: adds `-y` after the subcommand.
    ///
    /// ## References
    /// - hadolint DL3030 (yum), DL3038 (dnf), DL3034 (zypper)
    pub static RULE = Rule {
        id: "PL2010",
        name: "rpm-missing-yes",
        summary: "yum/dnf/zypper install without -y",
        level: Level::Warning,
        aliases: &["DL3030", "DL3038", "DL3034"],
        tags: &["correctness", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, pc) in run.packages() {
            let (interactive, yes) = match pc.manager {
                Manager::Yum | Manager::Dnf => (
                    pc.is(&[
                        "install",
                        "in",
                        "groupinstall",
                        "localinstall",
                        "reinstall",
                        "remove",
                        "erase",
                        "update",
                        "upgrade",
                    ]),
                    pc.command.has_flag(&['y'], &["assumeyes"]),
                ),
                Manager::Zypper => (
                    pc.is(&[
                        "install",
                        "in",
                        "remove",
                        "rm",
                        "update",
                        "up",
                        "patch",
                        "dist-upgrade",
                        "dup",
                        "source-install",
                        "si",
                    ]),
                    pc.command
                        .has_flag(&['y', 'n'], &["no-confirm", "non-interactive"]),
                ),
                _ => continue,
            };
            if !interactive || yes {
                continue;
            }
            let c = pc.command;
            let sub = pc.subcommand.expect("matched a subcommand");
            let covers: &[&str] = match pc.manager {
                Manager::Yum => &["DL3030"],
                Manager::Zypper => &["DL3034"],
                _ => &["DL3038"],
            };
            let mut f = Finding::new(
                &RULE,
                format!(
                    "`{} {}` without `-y` waits for input and fails the build",
                    pc.manager.name(),
                    sub.value
                ),
            )
            .at(script.command_span(run.ins, c))
            .covers(covers);
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
