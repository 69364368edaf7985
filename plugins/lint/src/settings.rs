//! The lint plugin's settings: `[lint]` in plimsoll.toml, validated against
//! [`schema`] (published in the plugin's metadata).

use std::collections::BTreeMap;

use plimsoll_plugin_sdk::schemars::{self, JsonSchema};
use serde::Deserialize;

/// The JSON Schema of [`LintSettings`], derived from it (field docs are
/// the descriptions): what `plimsoll plugin inspect` shows, the docs'
/// settings table, and what the host validates `[lint]` against.
pub fn schema() -> String {
    plimsoll_plugin_sdk::settings_schema::<LintSettings>("lint settings ([lint] in plimsoll.toml)")
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintSettings {
    /// Registries base images may come from (PL1003). Empty: the rule is off. `docker.io` covers Docker Hub's short names, `*.corp.example` a domain's registries, `*` all.
    #[serde(default)]
    pub trusted_registries: Vec<String>,
    /// Labels the final image must set (PL3022).
    #[serde(default)]
    pub required_labels: Vec<String>,
    /// Label name -> value format checked by PL3025 (hadolint's label-schema).
    #[serde(default)]
    pub label_schema: BTreeMap<String, LabelType>,
    /// Report labels not in label-schema (PL3023).
    #[serde(default)]
    pub strict_labels: bool,
    /// Most layer-creating instructions (RUN/COPY/ADD) in the final stage before PL5001 reports (default 5).
    #[schemars(range(min = 1))]
    pub max_layers: Option<u32>,
    /// Extra or overriding end-of-life dates, `image:tag-prefix` -> YYYY-MM-DD (PL1009).
    #[serde(default)]
    #[schemars(extend("additionalProperties" = {"type": "string", "format": "date"}))]
    pub eol: BTreeMap<String, String>,
    /// Do not report a final stage running as root (PL3001/PL3002).
    #[serde(default)]
    pub allow_root_user: bool,
    /// Image checks: bytes of files a later layer overwrites or deletes before PL5005 reports (default 20 MB, as Dive).
    pub max_wasted_bytes: Option<u64>,
    /// Image checks: smallest share of layer bytes still visible in the final filesystem before PL5005 reports (default 0.9, as Dive).
    #[schemars(range(min = 0, max = 1))]
    pub min_efficiency: Option<f64>,
    /// Image checks: largest total uncompressed size before PL5006 reports (default: no budget).
    #[schemars(range(min = 1))]
    pub max_image_bytes: Option<u64>,
    /// Image checks: most layers before PL5006 reports (default: no budget).
    #[schemars(range(min = 1))]
    pub max_image_layers: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LabelType {
    Text,
    Url,
    Email,
    Rfc3339,
    Semver,
    Hash,
    Spdx,
}

impl LintSettings {
    pub fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        let s: LintSettings = serde_json::from_value(v.clone())
            .map_err(|e| format!("invalid [lint] settings: {e}"))?;
        for (k, d) in &s.eol {
            if crate::util::Date::parse(d).is_none() {
                return Err(format!(
                    "invalid [lint] settings: eol.\"{k}\" = \"{d}\" is not a YYYY-MM-DD date"
                ));
            }
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The published schema and the struct agree: settings the struct takes
    /// the schema accepts (the host never refuses good settings), and the
    /// schema refuses unknown keys, wrong types and values out of range
    /// before the plugin is asked.
    #[test]
    fn schema_and_struct_agree() {
        let schema: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        for v in [
            json!({}),
            json!({"trusted-registries": ["docker.io", "*.corp.example"], "required-labels": ["a"]}),
            json!({"label-schema": {"org.opencontainers.image.url": "url"}, "strict-labels": true}),
            json!({"max-layers": 3, "allow-root-user": true, "eol": {"alpine:3.1": "2020-01-01"}}),
            json!({"max-wasted-bytes": 0, "min-efficiency": 0.5, "max-image-bytes": 1, "max-image-layers": 9}),
        ] {
            assert!(LintSettings::from_json(&v).is_ok(), "{v}");
            assert!(validator.is_valid(&v), "the schema refuses {v}");
        }
        for v in [
            json!({"nope": 1}),
            json!({"max-layers": "5"}),
            json!({"max-layers": 0}),
            json!({"min-efficiency": 2}),
            json!({"label-schema": {"a": "colour"}}),
            json!({"trusted-registries": "docker.io"}),
            json!({"eol": {"alpine": 2020}}),
        ] {
            assert!(!validator.is_valid(&v), "the schema accepts {v}");
        }
    }
}
