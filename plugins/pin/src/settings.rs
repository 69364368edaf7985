//! `[pin]` in plimsoll.toml. `plimsoll pin` sets `resolve-unpinned` (and
//! `update` with `--update`) itself.

use plimsoll_plugin_sdk::registry::Resolved;
use plimsoll_plugin_sdk::schemars::{self, JsonSchema};
use serde::Deserialize;

/// The JSON Schema of [`PinSettings`], derived from it (field docs are the
/// descriptions).
pub fn schema() -> String {
    plimsoll_plugin_sdk::settings_schema::<PinSettings>("pin settings ([pin] in plimsoll.toml)")
}
/// A digest of one platform's manifest where the image is multi-platform:
/// `reject` (default; pin the index), `allow`, or `require` (pin the
/// manifest of `platform`, or of the stage's literal FROM --platform).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PlatformDigests {
    #[default]
    Reject,
    Allow,
    Require,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PinSettings {
    /// A digest of one platform's manifest where the image is multi-platform: `reject` (default; pin the index), `allow`, or `require` (pin the manifest of `platform`, or of the stage's literal FROM --platform).
    #[serde(default)]
    pub platform_digests: PlatformDigests,
    /// Platform pinned when platform-digests = "require" (default linux/amd64).
    #[serde(default = "default_platform")]
    #[schemars(regex(pattern = r"^[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?$"))]
    pub platform: String,
    /// References starting with any of these (as written or canonical, e.g. `registry.corp.example/`) are not checked.
    #[serde(default)]
    pub ignore_images: Vec<String>,
    /// Check pinned digests against the registry (default true).
    #[serde(default = "yes")]
    pub verify_pins: bool,
    /// Resolve unpinned references to offer a digest fix (default false in `check`, true in `plimsoll pin`).
    #[serde(default)]
    pub resolve_unpinned: bool,
    /// Offer fixes that move stale pins to the current digest (`plimsoll pin --update`).
    #[serde(default)]
    pub update: bool,
    /// When a pin is stale and vulnerability data is present (`plimsoll db update`), say which fixable vulnerabilities updating to the tag's current digest removes: both images' packages are read and matched (default true).
    #[serde(default = "yes")]
    pub update_advice: bool,
}

fn default_platform() -> String {
    "linux/amd64".into()
}

fn yes() -> bool {
    true
}

impl Default for PinSettings {
    fn default() -> PinSettings {
        PinSettings::from_json(&serde_json::json!({})).expect("defaults are valid")
    }
}

impl PinSettings {
    pub fn from_json(v: &serde_json::Value) -> Result<PinSettings, String> {
        let s: PinSettings = serde_json::from_value(v.clone())
            .map_err(|e| format!("invalid [pin] settings: {e}"))?;
        let parts: Vec<&str> = s.platform.split('/').collect();
        if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.is_empty()) {
            return Err(format!(
                "invalid [pin] settings: platform `{}` is not os/arch[/variant] (e.g. linux/arm64)",
                s.platform
            ));
        }
        Ok(s)
    }

    /// Whether `reference` is exempt from pin checks.
    pub fn ignored(&self, reference: &str) -> bool {
        let canonical = plimsoll_analysis::images::normalize(reference);
        self.ignore_images
            .iter()
            .any(|p| reference.starts_with(p.as_str()) || canonical.starts_with(p.as_str()))
    }

    /// The digest a reference should be pinned to under this policy: the
    /// index (or single manifest), or with `require` the manifest for
    /// `platform` (the stage's) or the configured platform.
    pub fn digest_to_pin(&self, r: &Resolved, platform: Option<&str>) -> String {
        if self.platform_digests != PlatformDigests::Require || r.platforms.is_empty() {
            return r.digest.clone();
        }
        let wanted = platform.unwrap_or(&self.platform);
        r.platforms
            .iter()
            .find(|p| super::platform_matches(&p.platform, wanted))
            .map(|p| p.digest.clone())
            .unwrap_or_else(|| r.digest.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        assert!(PinSettings::from_json(&serde_json::json!({"platform": "linux"})).is_err());
        assert!(PinSettings::from_json(&serde_json::json!({"nope": 1})).is_err());
        let s =
            PinSettings::from_json(&serde_json::json!({"ignore-images": ["docker.io/library/"]}))
                .unwrap();
        assert!(s.ignored("alpine:3"));
        assert!(!s.ignored("ghcr.io/x/y:1"));
        assert_eq!(s.platform_digests, PlatformDigests::Reject);
        assert!(s.verify_pins);
    }

    /// The published schema and the struct agree (see the lint plugin's
    /// test of the same name).
    #[test]
    fn schema_and_struct_agree() {
        use serde_json::json;
        let schema: serde_json::Value = serde_json::from_str(&schema()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        for v in [
            json!({}),
            json!({"platform-digests": "require", "platform": "linux/arm64/v8"}),
            json!({"ignore-images": ["docker.io/library/"], "verify-pins": false}),
            json!({"resolve-unpinned": true, "update": true, "update-advice": false}),
        ] {
            assert!(PinSettings::from_json(&v).is_ok(), "{v}");
            assert!(validator.is_valid(&v), "the schema refuses {v}");
        }
        for v in [
            json!({"nope": 1}),
            json!({"platform-digests": "sometimes"}),
            json!({"platform": "linux"}),
            json!({"verify-pins": "yes"}),
        ] {
            assert!(!validator.is_valid(&v), "the schema accepts {v}");
        }
    }
}
