//! A realistic in-house policy, used to test loading an external plugin from
//! plimsoll.toml: base images must come from allowed registries, and some packages
//! must never be installed.

use plimsoll_plugin_sdk::prelude::*;

declare_rule! {
    /// ## What it does
    /// Reports base images that do not come from one of `allowed-registries`.
    ///
    /// ## Why is this bad?
    /// Images from elsewhere have not been scanned or mirrored by the platform team.
    pub static REGISTRY = Rule {
        id: "CORP001",
        name: "corp-registry",
        summary: "Base image is not from an allowed registry",
        level: Level::Error,
    };
}

declare_rule! {
    /// ## What it does
    /// Reports RUN instructions that mention a banned package.
    pub static BANNED = Rule {
        id: "CORP002",
        name: "corp-banned-package",
        summary: "A banned package is installed",
        level: Level::Warning,
    };
}

const SCHEMA: &str = r#"{"type":"object","properties":{"allowed-registries":{"type":"array","items":{"type":"string"}},"banned-packages":{"type":"array","items":{"type":"string"}}},"required":["allowed-registries"],"additionalProperties":false}"#;

struct Policy;

fn strings(settings: &Settings, key: &str) -> Result<Vec<String>, String> {
    match settings.get(key) {
        None => Ok(Vec::new()),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| format!("`{key}` must hold strings"))
            })
            .collect(),
        Some(_) => Err(format!("`{key}` must be a list of strings")),
    }
}

use plimsoll_plugin_sdk::serde_json;

impl DockerfilePlugin for Policy {
    fn info() -> PluginInfo {
        PluginInfo::new("corp-policy", "1.0.0", &[&REGISTRY, &BANNED])
            .description("Example in-house policy")
            .settings_schema(SCHEMA)
    }

    fn validate_settings(settings: &Settings) -> Result<(), String> {
        if settings.get("allowed-registries").is_none() {
            return Err("`allowed-registries` is required".into());
        }
        strings(settings, "allowed-registries")?;
        strings(settings, "banned-packages")?;
        Ok(())
    }

    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String> {
        let allowed = strings(settings, "allowed-registries")?;
        let banned = strings(settings, "banned-packages")?;
        let mut out = Vec::new();
        for s in doc.stages() {
            if s.base_stage.is_some() || s.base == "scratch" {
                continue;
            }
            if !allowed.iter().any(|r| s.base.starts_with(&format!("{r}/"))) {
                out.push(
                    Finding::new(
                        &REGISTRY,
                        format!("`{}` is not from {}", s.base, allowed.join(" or ")),
                    )
                    .at(s.base_span),
                );
            }
        }
        for ins in doc.instructions().iter().filter(|i| i.keyword == "RUN") {
            let text = ins.args.join(" ");
            for b in &banned {
                if text.split_whitespace().any(|w| w == b) {
                    out.push(
                        Finding::new(&BANNED, format!("installs banned package `{b}`"))
                            .at(ins.span),
                    );
                }
            }
        }
        Ok(out)
    }

    fn manifest_kinds() -> &'static [&'static str] {
        plimsoll_plugin_sdk::manifest::KINDS
    }

    /// Compose, Kubernetes, CI and devcontainer files: every image they name
    /// must come from an allowed registry too (unresolved ones are left to
    /// the pin rules).
    fn check_manifest(doc: &Manifest, settings: &Settings) -> Result<Vec<Finding>, String> {
        let allowed = strings(settings, "allowed-registries")?;
        Ok(doc
            .images
            .iter()
            .filter(|i| i.unresolved.is_none())
            .filter(|i| {
                !allowed
                    .iter()
                    .any(|r| i.reference.starts_with(&format!("{r}/")))
            })
            .map(|i| {
                Finding::new(
                    &REGISTRY,
                    format!(
                        "`{}` ({}) is not from {}",
                        i.reference,
                        i.field,
                        allowed.join(" or ")
                    ),
                )
                .at(i.span)
            })
            .collect())
    }

    /// `plimsoll check --image`: the image itself must come from an allowed
    /// registry.
    fn check_image(image: &ImageTarget, settings: &Settings) -> Result<Vec<Finding>, String> {
        let allowed = strings(settings, "allowed-registries")?;
        if allowed
            .iter()
            .any(|r| image.canonical.starts_with(&format!("{r}/")))
        {
            return Ok(Vec::new());
        }
        Ok(vec![
            Finding::new(
                &REGISTRY,
                format!("`{}` is not from {}", image.reference, allowed.join(" or ")),
            )
            .property("digest", image.digest.clone()),
        ])
    }
}

dockerfile_plugin!(Policy);
