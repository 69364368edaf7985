//! The lint plugin's settings: `[lint]` in plimsoll.toml, validated against
//! [`SCHEMA`] (published in the plugin's metadata).

use std::collections::BTreeMap;

use serde::Deserialize;

/// JSON Schema of [`LintSettings`].
pub const SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "lint settings ([lint] in plimsoll.toml)",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "trusted-registries": {"type": "array", "items": {"type": "string"}, "description": "Registries base images may come from (PL1003). Empty: the rule is off. `docker.io` covers Docker Hub's short names, `*.corp.example` a domain's registries, `*` all."},
    "required-labels": {"type": "array", "items": {"type": "string"}, "description": "Labels the final image must set (PL3022)."},
    "label-schema": {"type": "object", "additionalProperties": {"enum": ["text", "url", "email", "rfc3339", "semver", "hash", "spdx"]}, "description": "Label name -> value format checked by PL3025 (hadolint's label-schema)."},
    "strict-labels": {"type": "boolean", "description": "Report labels not in label-schema (PL3023)."},
    "max-layers": {"type": "integer", "minimum": 1, "description": "Most layer-creating instructions (RUN/COPY/ADD) in the final stage before PL5001 reports (default 5)."},
    "eol": {"type": "object", "additionalProperties": {"type": "string", "format": "date"}, "description": "Extra or overriding end-of-life dates, `image:tag-prefix` -> YYYY-MM-DD (PL1009)."},
    "allow-root-user": {"type": "boolean", "description": "Do not report a final stage running as root (PL3001/PL3002)."},
    "max-wasted-bytes": {"type": "integer", "minimum": 0, "description": "Image checks: bytes of files a later layer overwrites or deletes before PL5005 reports (default 20 MB, as Dive)."},
    "min-efficiency": {"type": "number", "minimum": 0, "maximum": 1, "description": "Image checks: smallest share of layer bytes still visible in the final filesystem before PL5005 reports (default 0.9, as Dive)."},
    "max-image-bytes": {"type": "integer", "minimum": 1, "description": "Image checks: largest total uncompressed size before PL5006 reports (default: no budget)."},
    "max-image-layers": {"type": "integer", "minimum": 1, "description": "Image checks: most layers before PL5006 reports (default: no budget)."}
  }
}"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintSettings {
    #[serde(default)]
    pub trusted_registries: Vec<String>,
    #[serde(default)]
    pub required_labels: Vec<String>,
    #[serde(default)]
    pub label_schema: BTreeMap<String, LabelType>,
    #[serde(default)]
    pub strict_labels: bool,
    pub max_layers: Option<u32>,
    #[serde(default)]
    pub eol: BTreeMap<String, String>,
    #[serde(default)]
    pub allow_root_user: bool,
    pub max_wasted_bytes: Option<u64>,
    pub min_efficiency: Option<f64>,
    pub max_image_bytes: Option<u64>,
    pub max_image_layers: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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
