//! The lint plugin's settings (`[lint]` in plimsoll.toml).

use serde::Deserialize;

/// JSON Schema of [`LintSettings`], published through the plugin's metadata.
pub const SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "lint settings",
  "type": "object",
  "additionalProperties": false,
  "properties": {}
}"#;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LintSettings {}

impl LintSettings {
    pub fn from_json(v: &serde_json::Value) -> Result<Self, String> {
        serde_json::from_value(v.clone()).map_err(|e| format!("invalid lint settings: {e}"))
    }
}
