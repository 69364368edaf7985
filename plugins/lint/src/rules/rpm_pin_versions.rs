use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use super::pkg_unpinned::report_unpinned;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `yum`/`dnf`/`microdnf install` of packages without a version
    /// (`httpd-2.4.57`) and `zypper install` without a constraint (`httpd=2.4`).
    ///
    /// ## Why is this bad?
    /// Unpinned packages make two builds of the same commit differ.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN dnf install -y httpd
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN dnf install -y httpd-2.4.57 && dnf clean all
    /// ```
    ///
    /// ## References
    /// - hadolint DL3033 (yum), DL3041 (dnf), DL3037 (zypper)
    pub static RULE = Rule {
        id: "PL2012",
        name: "rpm-unpinned",
        summary: "yum/dnf/zypper install without version pins",
        level: Level::Warning,
        aliases: &["DL3033", "DL3041", "DL3037"],
        tags: &["reproducibility", "pinning"],
    };
}

pub fn check(ctx: &mut Ctx) {
    report_unpinned(
        ctx,
        &RULE,
        &[
            Manager::Yum,
            Manager::Dnf,
            Manager::Microdnf,
            Manager::Zypper,
        ],
        "`name-version`, or `name=version` for zypper",
        |m| match m {
            Manager::Yum => &["DL3033"],
            Manager::Zypper => &["DL3037"],
            _ => &["DL3041"],
        },
    );
}
