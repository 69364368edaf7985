use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports commands that make no sense in an image build: `ssh`, `vim`,
    /// `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`.
    ///
    /// ## Why is this bad?
    /// A build step has no services, terminal or network setup to manage: these
    /// commands do nothing useful there, or hang waiting for input.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN service nginx start
    /// ```
    ///
    /// ## Use instead
    /// Start processes in `CMD`/`ENTRYPOINT`; edit files with `sed` or `COPY`.
    ///
    /// ## References
    /// - hadolint DL3001
    pub static RULE = Rule {
        id: "PL2022",
        name: "pointless-command",
        summary: "Command that makes no sense in a build",
        level: Level::Note,
        aliases: &["DL3001"],
        tags: &["correctness"],
    };
}

const POINTLESS: &[&str] = &[
    "ssh",
    "vim",
    "shutdown",
    "service",
    "ps",
    "free",
    "top",
    "kill",
    "mount",
    "ifconfig",
    "nano",
    "reboot",
    "systemctl",
];

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, c) in run.commands() {
            if let Some(name) = c.name()
                && POINTLESS.contains(&name)
            {
                out.push(
                    Finding::new(&RULE, format!("`{name}` makes no sense in an image build"))
                        .at(script.command_span(run.ins, c)),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
