use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `chpasswd` (and `passwd --stdin`, `usermod -p`) in RUN.
    ///
    /// ## Why is this bad?
    /// The password is in the Dockerfile and the image history, and a password
    /// login in a container is rarely what anyone needs.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN echo 'app:hunter2' | chpasswd
    /// ```
    ///
    /// ## Use instead
    /// Lock the account (`useradd --system`), and inject credentials at runtime.
    ///
    /// ## References
    /// - Checkov CKV2_DOCKER_17
    pub static RULE = Rule {
        id: "PL4005",
        name: "password-set-in-build",
        summary: "A password is set during the build",
        level: Level::Warning,
        aliases: &["CKV2_DOCKER_17"],
        tags: &["security", "secrets"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, c) in run.commands() {
            let hit = c.is("chpasswd")
                || (c.is("passwd") && c.has_flag(&[], &["stdin"]))
                || (c.is("usermod") && c.has_flag(&['p'], &["password"]));
            if hit {
                out.push(Finding::new(&RULE, "a password is set during the build and stays readable in the image history").at(script.command_span(run.ins, c)).severity(6.0));
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
