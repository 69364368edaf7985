use plimsoll_plugin_sdk::prelude::*;

use super::from_helpers::registry_of;
use super::image_ref::external_images;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports base images, `COPY --from` images and `RUN --mount=from=` images
    /// that do not come from one of `[lint] trusted-registries`. Off until you list
    /// the registries you trust; `docker.io` covers Docker Hub's short names
    /// (`alpine` is `docker.io/library/alpine`), `*.corp.example` any registry
    /// under that domain, and `*` every registry.
    ///
    /// ## Why is this bad?
    /// Images from registries nobody vetted bypass the mirroring, scanning and
    /// access control the platform team set up.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM quay.io/someone/tool:1.0
    /// ```
    /// with `trusted-registries = ["registry.corp.example"]`.
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM registry.corp.example/mirror/tool:1.0
    /// ```
    ///
    /// ## References
    /// - hadolint DL3026
    pub static RULE = Rule {
        id: "PL1003",
        name: "untrusted-registry",
        summary: "Image comes from a registry not in trusted-registries",
        level: Level::Error,
        aliases: &["DL3026"],
        tags: &["security", "supply-chain"],
    };
}

fn trusted(ctx: &Ctx, reference: &str) -> bool {
    let reg = registry_of(reference);
    ctx.settings.trusted_registries.iter().any(|t| {
        let t = t.trim_end_matches('/');
        t == "*"
            || t == reg
            || (t == "hub.docker.com" && reg == "docker.io")
            || (t.starts_with("*.") && reg.ends_with(&t[1..]))
    })
}

pub fn check(ctx: &mut Ctx) {
    if ctx.settings.trusted_registries.is_empty() {
        return;
    }
    let mut out = Vec::new();
    for img in external_images(ctx.df()) {
        if !trusted(ctx, &img.reference) {
            let reg = registry_of(&img.reference);
            out.push(
                Finding::new(
                    &RULE,
                    format!(
                        "`{}` comes from `{reg}`, which is not in trusted-registries",
                        img.reference
                    ),
                )
                .at(img.span)
                .severity(6.0),
            );
        }
    }
    for f in out {
        ctx.report(f);
    }
}
