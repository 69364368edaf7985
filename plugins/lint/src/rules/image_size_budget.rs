use plimsoll_plugin_sdk::image;
use plimsoll_plugin_sdk::prelude::*;

use super::image_wasted_space::mb;
use crate::{Ctx, LintSettings};

declare_rule! {
    /// ## What it does
    /// For `plimsoll check --image`: reports an image over the size or layer
    /// budget set with `[lint] max-image-bytes` (total uncompressed size) or
    /// `max-image-layers`. Without a budget it reports nothing.
    ///
    /// ## Why is this bad?
    /// Large images pull slowly, cost storage and usually carry more to
    /// patch; long layer chains slow pulls and builds.
    ///
    /// ## Example
    /// ```toml
    /// [lint]
    /// max-image-bytes = 300000000
    /// max-image-layers = 20
    /// ```
    pub static RULE = Rule {
        id: "PL5006",
        name: "image-size-budget",
        summary: "Image is over its size or layer budget",
        level: Level::Warning,
        tags: &["size", "image"],
    };
}

/// An image rule: nothing to check in a Dockerfile.
pub fn check(_ctx: &mut Ctx) {}

pub fn check_image(s: &LintSettings) -> Result<Vec<Finding>, String> {
    if s.max_image_bytes.is_none() && s.max_image_layers.is_none() {
        return Ok(Vec::new());
    }
    let layers = image::layers().map_err(|e| format!("cannot list the image's layers: {e:?}"))?;
    let size: u64 = layers.iter().map(|l| l.uncompressed_size).sum();
    let mut out = Vec::new();
    if let Some(max) = s.max_image_bytes
        && size > max
    {
        out.push(
            Finding::new(
                &RULE,
                format!(
                    "the image is {} uncompressed; the budget is {}",
                    mb(size),
                    mb(max)
                ),
            )
            .property("bytes", size),
        );
    }
    if let Some(max) = s.max_image_layers
        && layers.len() > max as usize
    {
        out.push(
            Finding::new(
                &RULE,
                format!("the image has {} layers; the budget is {max}", layers.len()),
            )
            .property("layers", layers.len()),
        );
    }
    Ok(out)
}
