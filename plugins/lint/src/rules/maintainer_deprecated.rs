use plimsoll_plugin_sdk::prelude::*;

use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports the deprecated `MAINTAINER` instruction.
    ///
    /// ## Why is this bad?
    /// `MAINTAINER` has been deprecated since Docker 1.13; the OCI way to say who
    /// maintains an image is a label, which tools and registries can read.
    ///
    /// ## Example
    /// ```dockerfile
    /// MAINTAINER Jane Doe <jane@example.com>
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"
    /// ```
    ///
    /// ## Fix
    /// Safe: replaces the instruction with `LABEL maintainer="..."`, the label
    /// `docker build` itself records for `MAINTAINER`.
    ///
    /// ## References
    /// - hadolint DL4000, Trivy DS022, Checkov CKV_DOCKER_6
    pub static RULE = Rule {
        id: "PL3003",
        name: "maintainer-deprecated",
        summary: "MAINTAINER is deprecated; use a label",
        level: Level::Warning,
        aliases: &["DL4000", "DS022", "CKV_DOCKER_6"],
        tags: &["deprecated", "fixable"],
    };
}

pub fn check(ctx: &mut Ctx) {
    for ins in ctx.doc.instructions() {
        if ins.keyword != "MAINTAINER" {
            continue;
        }
        let who = ins.args.first().map(String::as_str).unwrap_or("");
        let mut finding =
            Finding::new(&RULE, "MAINTAINER is deprecated; use a `LABEL` instead").at(ins.span);
        if !who.is_empty() && !ins.original.contains('\n') {
            let escaped = who.replace('\\', "\\\\").replace('"', "\\\"");
            finding = finding.fix(Fix::safe(
                "Replace with LABEL maintainer=\"...\"",
                vec![Edit::replace(
                    ins.span,
                    format!("LABEL maintainer=\"{escaped}\""),
                )],
            ));
        }
        ctx.report(finding);
    }
}
