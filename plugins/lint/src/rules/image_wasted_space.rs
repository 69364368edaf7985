use plimsoll_plugin_sdk::image::{self, EntryKind};
use plimsoll_plugin_sdk::prelude::*;

use crate::{Ctx, LintSettings};

declare_rule! {
    /// ## What it does
    /// For `plimsoll check --image`: reports an image whose layers carry
    /// bytes the final filesystem never shows — files a later layer
    /// overwrites or deletes — beyond `max-wasted-bytes` (default 20 MB) or
    /// below `min-efficiency` (default 0.9: at least 90 % of the layer bytes
    /// still visible), as Dive measures it. The finding names the layers that
    /// waste the most.
    ///
    /// ## Why is this bad?
    /// Every pull downloads the deleted bytes anyway; `RUN rm` in a later
    /// step does not make an image smaller.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y build-essential
    /// RUN apt-get purge -y build-essential && rm -rf /var/lib/apt/lists/*
    /// ```
    ///
    /// ## Use instead
    /// Clean up in the same `RUN` that made the files, or build in a stage
    /// and copy only the result.
    pub static RULE = Rule {
        id: "PL5005",
        name: "image-wasted-space",
        summary: "Image layers carry bytes later layers delete or overwrite",
        level: Level::Warning,
        tags: &["size", "image"],
    };
}

/// An image rule: nothing to check in a Dockerfile.
pub fn check(_ctx: &mut Ctx) {}

pub fn check_image(s: &LintSettings) -> Result<Vec<Finding>, String> {
    let layers = image::layers().map_err(|e| format!("cannot list the image's layers: {e:?}"))?;
    let mut total = 0u64;
    let mut wasted = 0u64;
    let mut per_layer: Vec<(u32, u64)> = Vec::new();
    for (i, _) in layers.iter().enumerate() {
        let layer = i as u32;
        let mut w = 0u64;
        for e in image::layer_entries(layer).map_err(|e| format!("layer {layer}: {e:?}"))? {
            if e.kind != EntryKind::File {
                continue;
            }
            total += e.size;
            if e.hidden_by.is_some() {
                w += e.size;
            }
        }
        wasted += w;
        if w > 0 {
            per_layer.push((layer, w));
        }
    }
    if total == 0 {
        return Ok(Vec::new());
    }
    let efficiency = 1.0 - wasted as f64 / total as f64;
    let max_wasted = s.max_wasted_bytes.unwrap_or(20_000_000);
    let min_eff = s.min_efficiency.unwrap_or(0.9);
    if wasted <= max_wasted && efficiency >= min_eff {
        return Ok(Vec::new());
    }
    per_layer.sort_by_key(|l| std::cmp::Reverse(l.1));
    let worst: Vec<String> = per_layer
        .iter()
        .take(3)
        .map(|(l, w)| format!("layer {l}: {}", mb(*w)))
        .collect();
    Ok(vec![
        Finding::new(
            &RULE,
            format!(
                "{} of {} in the layers is overwritten or deleted later (efficiency {:.0} %; budget {} and {:.0} %): {}",
                mb(wasted),
                mb(total),
                efficiency * 100.0,
                mb(max_wasted),
                min_eff * 100.0,
                worst.join(", ")
            ),
        )
        .property("wasted_bytes", wasted)
        .property("total_bytes", total)
        .property("efficiency", efficiency),
    ])
}

pub fn mb(b: u64) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}
