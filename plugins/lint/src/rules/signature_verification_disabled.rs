use plimsoll_analysis::packages::Manager;
use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports package signature checks turned off: `apk --allow-untrusted`,
    /// `apt-get --allow-unauthenticated`, `--allow-insecure-repositories`,
    /// `--force-yes`, `-o APT::Get::AllowUnauthenticated=true`,
    /// `yum/dnf/tdnf --nogpgcheck`, `gpgcheck=0`, `rpm --nosignature`/`--nodigest`.
    ///
    /// ## Why is this bad?
    /// Signatures are what makes a mirror or proxy unable to slip in a modified
    /// package; without them any of them can.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apk add --allow-untrusted ./local.apk
    /// ```
    ///
    /// ## Use instead
    /// Sign local packages and install the key (`/etc/apk/keys`), or import the
    /// repository's key (`rpm --import`).
    ///
    /// ## References
    /// - Checkov CKV2_DOCKER_7 (apk), _8 (apt-get --allow-unauthenticated), _9 (--nogpgcheck), _10 (rpm), _11 (--force-yes)
    pub static RULE = Rule {
        id: "PL4004",
        name: "signature-verification-disabled",
        summary: "Package signature verification turned off",
        level: Level::Error,
        aliases: &["CKV2_DOCKER_7", "CKV2_DOCKER_8", "CKV2_DOCKER_9", "CKV2_DOCKER_10", "CKV2_DOCKER_11"],
        tags: &["security", "supply-chain"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let mut out = Vec::new();
    for run in &ctx.runs {
        for (script, c) in run.commands() {
            let what: Option<(&str, &str)> =
                match (plimsoll_analysis::packages::Manager::of(c), c.name()) {
                    (Some(Manager::Apk), _) if c.has_flag(&[], &["allow-untrusted"]) => {
                        Some(("`apk --allow-untrusted`", "CKV2_DOCKER_7"))
                    }
                    (Some(Manager::AptGet | Manager::Apt | Manager::Aptitude), _)
                        if c.has_flag(
                            &[],
                            &[
                                "allow-unauthenticated",
                                "allow-insecure-repositories",
                                "allow-downgrades-insecure",
                            ],
                        ) =>
                    {
                        Some(("`--allow-unauthenticated`", "CKV2_DOCKER_8"))
                    }
                    (Some(Manager::AptGet | Manager::Apt | Manager::Aptitude), _)
                        if c.has_flag(&[], &["force-yes"]) =>
                    {
                        Some(("`--force-yes`", "CKV2_DOCKER_11"))
                    }
                    (Some(Manager::AptGet | Manager::Apt), _)
                        if c.args().iter().any(|a| {
                            a.value.contains("AllowUnauthenticated=true")
                                || a.value.contains("AllowUnauthenticated=1")
                                || a.value.contains("AllowInsecureRepositories=true")
                        }) =>
                    {
                        Some(("apt's signature checks", "CKV2_DOCKER_8"))
                    }
                    (
                        Some(Manager::Yum | Manager::Dnf | Manager::Microdnf | Manager::Zypper),
                        _,
                    ) if c.has_flag(&[], &["nogpgcheck", "no-gpg-checks"])
                        || c.args().iter().any(|a| {
                            a.value.contains("gpgcheck=0") || a.value.contains("gpgcheck=false")
                        }) =>
                    {
                        Some(("`--nogpgcheck`", "CKV2_DOCKER_9"))
                    }
                    (_, Some("rpm"))
                        if c.has_flag(&[], &["nosignature", "nodigest", "nodeps-signature"]) =>
                    {
                        Some(("`rpm --nosignature`", "CKV2_DOCKER_10"))
                    }
                    _ => None,
                };
            if let Some((w, peer)) = what {
                out.push(
                    Finding::new(
                        &RULE,
                        format!("{w} turns off package signature verification"),
                    )
                    .at(script.command_span(run.ins, c))
                    .severity(7.4)
                    .covers(&[peer]),
                );
            }
        }
    }
    for f in out {
        ctx.report(f);
    }
}
