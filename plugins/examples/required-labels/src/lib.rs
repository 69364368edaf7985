//! Example in-house policy in Rust: the image a Dockerfile builds (its last
//! stage, with the labels it inherits from earlier stages of the same file)
//! must carry the labels the platform team requires — by default
//! `org.opencontainers.image.source` (where the code is) and
//! `org.opencontainers.image.licenses`, and each required label must not be
//! empty. With `plimsoll check --image`, nothing is reported: labels of a
//! pulled image are for the `image` capability (not in this example).
//!
//! Build: built by the workspace (crates/plimsoll-test-programs) for the
//! tests; on its own, `cargo build --release --target wasm32-wasip2`.

use plimsoll_plugin_sdk::prelude::*;
use plimsoll_plugin_sdk::serde_json;

declare_rule! {
    /// ## What it does
    /// Reports a Dockerfile whose final image lacks a label from
    /// `required-labels`, or sets it to an empty value. Labels set in an
    /// earlier stage the final stage is built `FROM` count.
    ///
    /// ## Why is this bad?
    /// Without `org.opencontainers.image.source` nobody can find the code an
    /// image was built from; without a licence label legal review stalls.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM registry.corp.example/base:1
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM registry.corp.example/base:1
    /// LABEL org.opencontainers.image.source="https://git.corp.example/team/app" \
    ///       org.opencontainers.image.licenses="Apache-2.0"
    /// ```
    pub static MISSING_LABEL = Rule {
        id: "CORP010",
        name: "required-label",
        summary: "The final image lacks a required label",
        level: Level::Error,
        tags: &["metadata"],
    };
}

const SCHEMA: &str = r#"{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "required-labels": {"type": "array", "items": {"type": "string"}, "description": "Label keys the final image must set (non-empty)."}
  }
}"#;

const DEFAULT: &[&str] = &[
    "org.opencontainers.image.source",
    "org.opencontainers.image.licenses",
];

fn required(settings: &Settings) -> Result<Vec<String>, String> {
    match settings.get("required-labels") {
        None => Ok(DEFAULT.iter().map(|s| s.to_string()).collect()),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| "`required-labels` must be a list of strings".to_string()),
    }
}

/// Labels (key, value) set by `LABEL` in stage `stage` and the stages it is
/// built from, later ones winning.
fn labels(doc: &Document, stage: usize) -> Vec<(String, String)> {
    let stages = doc.stages();
    let mut chain = vec![stage];
    let mut at = stage;
    while let Some(parent) = stages.get(at).and_then(|s| s.base_stage) {
        if chain.contains(&parent) {
            break;
        }
        chain.push(parent);
        at = parent;
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for s in chain.into_iter().rev() {
        for ins in doc
            .instructions()
            .iter()
            .filter(|i| i.keyword == "LABEL" && i.stage == Some(s))
        {
            for kv in ins.key_value_pairs() {
                let key = unquote(kv.key);
                out.retain(|(k, _)| *k != key);
                out.push((key, unquote(kv.value)));
            }
        }
    }
    out
}

/// `"a b"` → `a b`, as the builder stores the label.
fn unquote(s: &str) -> String {
    plimsoll_plugin_sdk::dockerfile::unquote(s, '\\')
}

pub struct RequiredLabels;

impl DockerfilePlugin for RequiredLabels {
    fn info() -> PluginInfo {
        PluginInfo::new("required-labels", "1.0.0", &[&MISSING_LABEL])
            .description("The final image carries the labels the platform team requires")
            .settings_schema(SCHEMA)
    }

    fn validate_settings(settings: &Settings) -> Result<(), String> {
        required(settings).map(|_| ())
    }

    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String> {
        let required = required(settings)?;
        let Some(last) = doc.stages().last() else {
            return Ok(Vec::new());
        };
        let have = labels(doc, last.index);
        let mut out = Vec::new();
        for key in &required {
            let problem = match have.iter().find(|(k, _)| k == key) {
                None => "does not set",
                Some((_, v)) if v.trim().is_empty() => "sets an empty",
                Some(_) => continue,
            };
            out.push(
                Finding::new(
                    &MISSING_LABEL,
                    format!("the final image {problem} label `{key}`"),
                )
                .at(doc.instructions()[last.from].span),
            );
        }
        Ok(out)
    }
}

dockerfile_plugin!(RequiredLabels);

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_plugin_sdk::testing::check;

    #[test]
    fn labels_are_inherited_from_the_stage_built_upon() {
        let text = "FROM a AS base\nLABEL org.opencontainers.image.source=\"https://x\"\nFROM base\nLABEL org.opencontainers.image.licenses=MIT\n";
        assert!(check::<RequiredLabels>(text, serde_json::json!({})).is_empty());
    }

    #[test]
    fn an_unrelated_stage_does_not_count() {
        let text = "FROM a AS base\nLABEL org.opencontainers.image.source=\"https://x\"\nFROM b\nLABEL org.opencontainers.image.licenses=MIT\n";
        let f = check::<RequiredLabels>(text, serde_json::json!({}));
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("image.source"), "{}", f[0].message);
    }
}
