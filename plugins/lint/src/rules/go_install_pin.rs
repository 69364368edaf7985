use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use super::pkg_unpinned::report_unpinned;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `go install pkg`, `go get pkg` and `go run pkg` without `@version`
    /// (or with `@latest`; local packages such as `go run .` are not judged), and
    /// `cargo install crate` without `@version`/`--version`.
    ///
    /// ## Why is this bad?
    /// The tool you build with changes under you from one build to the next.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN go install golang.org/x/tools/gopls@latest
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN go install golang.org/x/tools/gopls@v0.17.1
    /// ```
    ///
    /// ## References
    /// - hadolint DL3062
    pub static RULE = Rule {
        id: "PL2017",
        name: "go-install-unpinned",
        summary: "go install / cargo install without a version",
        level: Level::Warning,
        aliases: &["DL3062"],
        tags: &["reproducibility", "pinning"],
    };
}

pub fn check(ctx: &mut Ctx) {
    report_unpinned(ctx, &RULE, &[Manager::Go], "`pkg@version`", |_| &["DL3062"]);
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, pc) in run.packages() {
            if pc.manager == Manager::Cargo
                && pc.is_install()
                && !pc
                    .command
                    .has_flag(&[], &["version", "vers", "git", "path"])
            {
                let un: Vec<&str> = pc.unpinned().iter().map(|w| w.value.as_str()).collect();
                if !un.is_empty() {
                    out.push(
                        Finding::new(
                            &RULE,
                            format!(
                                "pin versions in cargo install: {} (`crate@version`)",
                                crate::util::list(&un)
                            ),
                        )
                        .at(script.command_span(run.ins, pc.command))
                        .covers(&[]),
                    );
                }
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
