//! Shared by the LABEL rules: every label of the final image, with its
//! value unquoted.

use plimsoll_plugin_sdk::dockerfile::{Dockerfile, Span};

use crate::util::stage_in_final_image;

pub struct Label {
    pub key: String,
    pub value: String,
    pub key_span: Span,
    pub value_span: Span,
}

/// Labels set in the stages of the final image, in order.
pub fn final_labels(df: &Dockerfile) -> Vec<Label> {
    let mut out = Vec::new();
    for ins in df
        .instructions
        .iter()
        .filter(|i| i.keyword == "LABEL" && stage_in_final_image(df, i.stage))
    {
        for kv in ins.key_value_pairs() {
            out.push(Label {
                key: plimsoll_plugin_sdk::dockerfile::unquote(kv.key, df.escape),
                value: plimsoll_plugin_sdk::dockerfile::unquote(kv.value, df.escape),
                key_span: kv.key_span.unwrap_or(ins.span),
                value_span: kv.value_span.unwrap_or(ins.span),
            });
        }
    }
    out
}
