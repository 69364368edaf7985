use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use super::pkg_unpinned::report_unpinned;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `gem install` without a version (`gem:version` or `-v`).
    ///
    /// ## Why is this bad?
    /// Unpinned gems make builds irreproducible.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN gem install bundler
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN gem install bundler:2.5.23
    /// ```
    ///
    /// ## References
    /// - hadolint DL3028
    pub static RULE = Rule {
        id: "PL2016",
        name: "gem-unpinned",
        summary: "gem install without versions",
        level: Level::Warning,
        aliases: &["DL3028"],
        tags: &["reproducibility", "pinning"],
    };
}

pub fn check(ctx: &mut Ctx) {
    report_unpinned(
        ctx,
        &RULE,
        &[Manager::Gem],
        "`name:version` or `-v version`",
        |_| &["DL3028"],
    );
}
