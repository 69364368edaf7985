//! {{name}}: a plimsoll plugin. Base images must come from the registries in
//! `allowed-registries` (default `registry.corp.example`).
//!
//! Build: `cargo build --release --target wasm32-wasip2`
//! Test:  `cargo test` (natively), then through plimsoll itself:
//!        `plimsoll plugin test target/wasm32-wasip2/release/{{crate}}.wasm`

use plimsoll_plugin_sdk::prelude::*;
use plimsoll_plugin_sdk::serde_json;

declare_rule! {
    /// ## What it does
    /// Reports base images (`FROM`, after `ARG` substitution) that do not
    /// come from one of the registries in `allowed-registries`.
    ///
    /// ## Why is this bad?
    /// Images from elsewhere have not been scanned or mirrored by the
    /// platform team.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM docker.io/library/alpine:3.20
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// FROM registry.corp.example/mirror/alpine:3.20
    /// ```
    pub static ALLOWED_REGISTRY = Rule {
        id: "{{prefix}}001",
        name: "allowed-registry",
        summary: "Base image is not from an allowed registry",
        level: Level::Error,
        tags: &["supply-chain"],
    };
}

const SCHEMA: &str = r#"{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "allowed-registries": {"type": "array", "items": {"type": "string"}, "description": "Registries base images may come from."}
  }
}"#;

fn allowed(settings: &Settings) -> Result<Vec<String>, String> {
    match settings.get("allowed-registries") {
        None => Ok(vec!["registry.corp.example".into()]),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|_| "`allowed-registries` must be a list of strings".to_string()),
    }
}

pub struct Plugin;

impl DockerfilePlugin for Plugin {
    fn info() -> PluginInfo {
        PluginInfo::new("{{name}}", env!("CARGO_PKG_VERSION"), &[&ALLOWED_REGISTRY])
            .description("Base images come from allowed registries")
            .settings_schema(SCHEMA)
    }

    fn validate_settings(settings: &Settings) -> Result<(), String> {
        allowed(settings).map(|_| ())
    }

    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String> {
        let allowed = allowed(settings)?;
        Ok(doc
            .stages()
            .iter()
            .filter(|s| s.base_stage.is_none() && s.base != "scratch")
            .filter(|s| !allowed.iter().any(|r| s.base.starts_with(&format!("{r}/"))))
            .map(|s| {
                Finding::new(
                    &ALLOWED_REGISTRY,
                    format!("`{}` is not from {}", s.base, allowed.join(" or ")),
                )
                .at(s.base_span)
            })
            .collect())
    }
}

dockerfile_plugin!(Plugin);

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_plugin_sdk::testing::check;

    #[test]
    fn reports_base_images_from_elsewhere() {
        let found = check::<Plugin>(
            "FROM docker.io/library/alpine:3.20 AS build\nFROM build\n",
            serde_json::json!({}),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule_id, "{{prefix}}001");
    }

    #[test]
    fn allows_the_configured_registries() {
        let found = check::<Plugin>(
            "FROM registry.corp.example/mirror/alpine:3.20\n",
            serde_json::json!({"allowed-registries": ["registry.corp.example"]}),
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
