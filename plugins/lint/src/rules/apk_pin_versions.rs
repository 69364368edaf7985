use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use super::pkg_unpinned::report_unpinned;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `apk add` of packages without a version constraint.
    ///
    /// ## Why is this bad?
    /// Unpinned packages make builds irreproducible. Alpine keeps only the latest
    /// version of each package per release branch, so prefer `~` constraints
    /// (`curl~8.5`) that accept patch updates.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apk add --no-cache curl
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN apk add --no-cache curl~8.5
    /// ```
    ///
    /// ## References
    /// - hadolint DL3018
    pub static RULE = Rule {
        id: "PL2008",
        name: "apk-unpinned",
        summary: "apk add without version constraints",
        level: Level::Warning,
        aliases: &["DL3018"],
        tags: &["reproducibility", "pinning"],
    };
}

pub fn check(ctx: &mut Ctx) {
    report_unpinned(
        ctx,
        &RULE,
        &[Manager::Apk],
        "`name=version` or `name~version`",
        |_| &["DL3018"],
    );
}
