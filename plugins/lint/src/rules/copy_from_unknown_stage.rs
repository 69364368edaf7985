use plimsoll_plugin_sdk::prelude::*;

use super::image_ref::ImageRef;
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Reports `COPY --from=NAME` where `NAME` is not a stage defined earlier and
    /// does not look like an image reference (no tag, digest or registry), and
    /// `--from=N` with an index that is not an earlier stage.
    ///
    /// ## Why is this bad?
    /// BuildKit treats an unknown name as an image and pulls it: a typo in a stage
    /// name becomes a pull of whatever `docker.io/library/<typo>` is, or a later
    /// stage referenced too early fails the build.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS builder
    /// FROM gcr.io/distroless/static-debian12
    /// COPY --from=build /out/app /app
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// COPY --from=builder /out/app /app
    /// ```
    ///
    /// ## References
    /// - hadolint DL3022
    pub static RULE = Rule {
        id: "PL1008",
        name: "copy-from-unknown-stage",
        summary: "COPY --from names no earlier stage",
        level: Level::Warning,
        aliases: &["DL3022"],
        tags: &["correctness"],
    };
}

pub fn check(ctx: &mut Ctx) {
    let df = ctx.df();
    for (i, ins) in df.instructions.iter().enumerate() {
        if ins.keyword != "COPY" {
            continue;
        }
        let Some(flag) = ins.flag("from") else {
            continue;
        };
        let Some(v) = &flag.value else { continue };
        if v.contains('$') || df.stage_ref(v, i).is_some() {
            continue;
        }
        if let Ok(n) = v.parse::<usize>() {
            ctx.report(
                Finding::new(
                    &RULE,
                    format!("`--from={n}`: there is no stage {n} before this instruction"),
                )
                .at(flag.span)
                .level(Level::Error),
            );
            continue;
        }
        let r = ImageRef::parse(v);
        if r.tag.is_some() || r.digest.is_some() || r.registry().is_some() || v.contains('/') {
            continue; // an image reference, judged by the pinning rules
        }
        let later = df
            .stages
            .iter()
            .any(|s| s.name.as_deref() == Some(v.to_ascii_lowercase().as_str()));
        let msg = if later {
            format!(
                "`--from={v}` refers to a stage defined later; stages can only copy from earlier ones"
            )
        } else {
            format!("`--from={v}` names no stage above; BuildKit would pull it as the image `{v}`")
        };
        ctx.report(Finding::new(&RULE, msg).at(flag.span));
    }
}
