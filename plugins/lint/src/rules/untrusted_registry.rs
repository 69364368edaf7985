use plimsoll_plugin_sdk::prelude::*;

use super::from_helpers::registry_of;
use super::image_ref::is_external;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports base images, `COPY --from` images and `RUN --mount=from=` images
    /// that do not come from one of `[lint] trusted-registries`. Off until you list
    /// the registries you trust; `docker.io` covers Docker Hub's short names
    /// (`alpine` is `docker.io/library/alpine`).
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
        t == reg
            || (t == "hub.docker.com" && reg == "docker.io")
            || (t.starts_with("*.") && reg.ends_with(&t[1..]))
    })
}

pub fn check(ctx: &mut Ctx) {
    if ctx.settings.trusted_registries.is_empty() {
        return;
    }
    let mut found = Vec::new();
    for s in ctx.doc.stages() {
        if is_external(s) && !trusted(ctx, &s.base) {
            found.push((s.base.clone(), s.base_span));
        }
    }
    let df = ctx.df();
    for (i, ins) in df.instructions.iter().enumerate() {
        let flags = ins.flags.iter().filter_map(|f| match f.name.as_str() {
            "from" if ins.keyword == "COPY" => f.value.clone().map(|v| (v, f.span)),
            "mount" => f.key_value("from").map(|v| (v, f.span)),
            _ => None,
        });
        for (v, span) in flags {
            if df.stage_ref(&v, i).is_none()
                && v.parse::<usize>().is_err()
                && !v.contains('$')
                && !trusted(ctx, &v)
            {
                found.push((v, span));
            }
        }
    }
    for (reference, span) in found {
        let reg = registry_of(&reference);
        ctx.report(
            Finding::new(
                &RULE,
                format!("`{reference}` comes from `{reg}`, which is not in trusted-registries"),
            )
            .at(span)
            .severity(6.0),
        );
    }
}
