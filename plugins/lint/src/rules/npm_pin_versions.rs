use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use super::pkg_unpinned::report_unpinned;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `npm install <pkg>` (also pnpm, `yarn add`) without a version, and
    /// git dependencies (`git+https://…`, `github:user/repo`, `user/repo`) without
    /// a `#commit-ish`. `npm install`/`npm ci` without packages (from the
    /// lockfile), local folders and tarballs are fine.
    ///
    /// ## Why is this bad?
    /// Unpinned installs pull whatever was published last, including malicious
    /// releases of popular packages.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN npm install -g typescript
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN npm install -g typescript@5.7.2
    /// ```
    ///
    /// ## References
    /// - hadolint DL3016
    pub static RULE = Rule {
        id: "PL2015",
        name: "npm-unpinned",
        summary: "npm install without versions",
        level: Level::Warning,
        aliases: &["DL3016"],
        tags: &["reproducibility", "pinning"],
    };
}

pub fn check(ctx: &mut Ctx) {
    report_unpinned(
        ctx,
        &RULE,
        &[Manager::Npm, Manager::Pnpm, Manager::Yarn],
        "`name@version`",
        |m| if m == Manager::Npm { &["DL3016"] } else { &[] },
    );
}
