use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use super::pkg_unpinned::report_unpinned;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `pip install` and `pipx install` of packages without a version
    /// specifier, and VCS installs (`git+https://…`) without a commit, tag or
    /// branch (`…/repo.git@v1.2`). Requirement files (`-r`), constraint files
    /// (`-c`), local directories, archives and wheels are not judged; a version
    /// from a build argument (`flask==${FLASK_VERSION}`) counts as pinned.
    ///
    /// ## Why is this bad?
    /// An unpinned `pip install flask` gets whatever was released this morning,
    /// including breaking majors and freshly compromised versions.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN pip install --no-cache-dir flask
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN pip install --no-cache-dir flask==3.1.0
    /// ```
    /// or a requirements file with hashes (`--require-hashes`).
    ///
    /// ## References
    /// - hadolint DL3013
    pub static RULE = Rule {
        id: "PL2013",
        name: "pip-unpinned",
        summary: "pip install without version specifiers",
        level: Level::Warning,
        aliases: &["DL3013"],
        tags: &["reproducibility", "pinning"],
    };
}

pub fn check(ctx: &mut Ctx) {
    report_unpinned(
        ctx,
        &RULE,
        &[Manager::Pip, Manager::Pipx],
        "`name==version`",
        |_| &["DL3013"],
    );
}
