//! Write plimsoll check plugins in Rust.
//!
//! A plugin is a WebAssembly component (build it with
//! `cargo build --target wasm32-wasip2 --release`) implementing the
//! `plimsoll:plugin` WIT contract. This crate hides the bindings: implement
//! [`DockerfilePlugin`] and call [`dockerfile_plugin!`]:
//!
//! ```ignore
//! use plimsoll_plugin_sdk::prelude::*;
//!
//! declare_rule! {
//!     /// ## What it does
//!     /// Reports images that do not come from our registry.
//!     pub static OUR_REGISTRY = Rule {
//!         id: "CORP001",
//!         name: "corp-registry",
//!         summary: "Base images must come from registry.corp.example",
//!         level: Level::Error,
//!     };
//! }
//!
//! struct Corp;
//! impl DockerfilePlugin for Corp {
//!     fn info() -> PluginInfo { PluginInfo::new("corp", env!("CARGO_PKG_VERSION"), &[&OUR_REGISTRY]) }
//!     fn check(doc: &Document, _settings: &Settings) -> Result<Vec<Finding>, String> {
//!         Ok(doc.stages().iter()
//!             .filter(|s| s.base_stage.is_none() && !s.base.starts_with("registry.corp.example/"))
//!             .map(|s| Finding::new(&OUR_REGISTRY, format!("`{}` is not from registry.corp.example", s.base)).at(s.base_span))
//!             .collect())
//!     }
//! }
//! dockerfile_plugin!(Corp);
//! ```
//!
//! Unit tests run the same code natively: [`testing::check`] parses a Dockerfile
//! string exactly as the host does and calls your plugin.
//!
//! This crate is the author surface: the bindings, rules, findings and
//! fixes, the capabilities (`registry`, `image`, `installed`, `signatures`,
//! `vulnerabilities`, each with a native stand-in for tests) and the test
//! harness. The analysis the built-in plugins share — what a `RUN` runs
//! (shell commands and syntax tree), package-manager commands, each
//! ecosystem's version order, OSV matching, the images a file uses,
//! attestation policies — is the `plimsoll-analysis` crate; a plugin that
//! wants it depends on both.

extern crate self as plimsoll_plugin_sdk;

pub mod alloc;
pub mod date;
pub mod document;
pub mod finding;
pub mod image;
pub mod installed;
pub mod manifest;
pub mod registry;
pub mod signatures;
pub mod testing;
pub mod vulnerabilities;

pub use document::Document;
pub use finding::{Applicability, Edit, Finding, Fix, Level, Location, PluginInfo, Rule};
pub use manifest::{Manifest, ManifestImage};
pub use plimsoll_dockerfile as dockerfile;
pub use schemars;
pub use serde_json;

/// The JSON Schema of a settings struct, for [`PluginInfo::settings_schema`]:
/// `#[derive(schemars::JsonSchema)]` on the struct beside its `Deserialize`
/// makes the published schema the struct itself (field doc comments become
/// the descriptions `plimsoll plugin inspect` and the docs show; serde's
/// renames, defaults and `deny_unknown_fields` are honoured), so the two
/// cannot drift. `title` heads it.
pub fn settings_schema<T: schemars::JsonSchema>(title: &str) -> String {
    let mut schema = schemars::schema_for!(T);
    if let Some(o) = schema.as_object_mut() {
        o.insert("title".into(), title.into());
    }
    serde_json::to_string(&schema).expect("a JSON Schema serialises")
}

/// Settings as the config gave them (a JSON object; `{}` when none).
pub type Settings = serde_json::Value;

/// The generated WIT bindings (`plimsoll:plugin@0.1.5`), for the `sdk`
/// world: every capability, every check, the Dockerfile as text
/// (`check-text`). A component only imports the interfaces it actually
/// calls, so a plugin that never calls [`registry`] does not ask for that
/// capability.
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "sdk",
        pub_export_macro: true,
        export_macro_name: "export_dockerfile_plugin",
        default_bindings_module: "plimsoll_plugin_sdk::bindings",
        runtime_path: "plimsoll_plugin_sdk::__private::wit_bindgen::rt",
    });
}

/// What a plugin that checks Dockerfiles implements.
pub trait DockerfilePlugin {
    /// Name, version and the rules this plugin may report.
    fn info() -> PluginInfo;

    /// Reject bad settings with a message naming the field. Called once per run.
    fn validate_settings(_settings: &Settings) -> Result<(), String> {
        Ok(())
    }

    /// Check one Dockerfile.
    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String>;

    /// Check one image (`plimsoll check --image REF`). Findings use
    /// [`Location::Target`] (the default of [`Finding::new`]) or
    /// [`Finding::in_image`]. The default reports nothing.
    fn check_image(_image: &ImageTarget, _settings: &Settings) -> Result<Vec<Finding>, String> {
        Ok(Vec::new())
    }

    /// The manifest kinds [`check_manifest`](Self::check_manifest) handles
    /// (`compose`, `kubernetes`, `github-workflow`, `gitlab-ci`,
    /// `devcontainer`). The default, none: the host never calls it.
    fn manifest_kinds() -> &'static [&'static str] {
        &[]
    }

    /// Check one manifest of a kind [`manifest_kinds`](Self::manifest_kinds)
    /// names. Findings point into its text with [`Finding::at`].
    fn check_manifest(_doc: &Manifest, _settings: &Settings) -> Result<Vec<Finding>, String> {
        Ok(Vec::new())
    }
}

/// The image a [`DockerfilePlugin::check_image`] call is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTarget {
    /// As the user wrote it: `alpine:3.19`.
    pub reference: String,
    /// Normalised: `docker.io/library/alpine:3.19`.
    pub canonical: String,
    /// The digest the reference names, resolved and verified by the host.
    pub digest: String,
}

/// Logs a message through the host (shown with `plimsoll -v`). A no-op outside wasm.
pub fn log(message: &str) {
    #[cfg(target_arch = "wasm32")]
    bindings::plimsoll::plugin::log::emit(bindings::plimsoll::plugin::log::LogLevel::Info, message);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = message;
}

/// Exports a [`DockerfilePlugin`] implementation as the component's exports.
#[macro_export]
macro_rules! dockerfile_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        pub struct __PlimsollExports;

        impl $crate::bindings::exports::plimsoll::plugin::plugin::Guest for __PlimsollExports {
            fn metadata() -> $crate::bindings::exports::plimsoll::plugin::plugin::PluginInfo {
                $crate::__private::metadata(<$plugin as $crate::DockerfilePlugin>::info())
            }
            fn validate_settings(
                settings: String,
            ) -> Result<(), $crate::bindings::plimsoll::plugin::types::PluginError> {
                $crate::__private::validate_settings(&settings, <$plugin as $crate::DockerfilePlugin>::validate_settings)
            }
        }

        impl $crate::bindings::exports::plimsoll::plugin::dockerfile_text_check::Guest for __PlimsollExports {
            fn check_text(
                path: String,
                text: String,
                settings: String,
            ) -> Result<
                Vec<$crate::bindings::plimsoll::plugin::types::Finding>,
                $crate::bindings::plimsoll::plugin::types::PluginError,
            > {
                $crate::__private::check(
                    path,
                    text,
                    &settings,
                    <$plugin as $crate::DockerfilePlugin>::check,
                )
            }
        }

        impl $crate::bindings::exports::plimsoll::plugin::image_check::Guest for __PlimsollExports {
            fn check_image(
                image: $crate::bindings::exports::plimsoll::plugin::image_check::ImageTarget,
                settings: String,
            ) -> Result<
                Vec<$crate::bindings::plimsoll::plugin::types::Finding>,
                $crate::bindings::plimsoll::plugin::types::PluginError,
            > {
                $crate::__private::check_image(
                    image,
                    &settings,
                    <$plugin as $crate::DockerfilePlugin>::check_image,
                )
            }
        }

        impl $crate::bindings::exports::plimsoll::plugin::manifest_check::Guest for __PlimsollExports {
            fn kinds() -> Vec<String> {
                <$plugin as $crate::DockerfilePlugin>::manifest_kinds()
                    .iter()
                    .map(|k| k.to_string())
                    .collect()
            }
            fn check_manifest(
                doc: $crate::bindings::plimsoll::plugin::manifest::Manifest,
                settings: String,
            ) -> Result<
                Vec<$crate::bindings::plimsoll::plugin::types::Finding>,
                $crate::bindings::plimsoll::plugin::types::PluginError,
            > {
                $crate::__private::check_manifest(
                    doc,
                    &settings,
                    <$plugin as $crate::DockerfilePlugin>::check_manifest,
                )
            }
        }

        // Component exports only exist in wasm; natively the crate is a library that
        // tests call directly (and export names with `:` would not even link).
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export_dockerfile_plugin!(__PlimsollExports with_types_in $crate::bindings);
    };
}

/// Everything a rule file usually needs.
pub mod prelude {
    pub use crate::dockerfile::{Dockerfile, Flag, Instruction, Span, Stage};
    pub use crate::{
        Applicability, DockerfilePlugin, Document, Edit, Finding, Fix, ImageTarget, Level,
        Location, Manifest, ManifestImage, PluginInfo, Rule, Settings, declare_rule,
        dockerfile_plugin,
    };
}

#[doc(hidden)]
pub mod __private {
    pub use wit_bindgen;

    use crate::bindings::exports::plimsoll::plugin::image_check as wimg;
    use crate::bindings::exports::plimsoll::plugin::plugin as wplugin;
    use crate::bindings::plimsoll::plugin::{manifest as wm, types as wt};
    use crate::{Document, Finding, ImageTarget, Manifest, PluginInfo, Settings};

    pub fn metadata(info: PluginInfo) -> wplugin::PluginInfo {
        wplugin::PluginInfo {
            name: info.name.to_string(),
            version: info.version.to_string(),
            description: info.description.to_string(),
            rules: info.rules.iter().map(|r| r.to_wit()).collect(),
            settings_schema: info.settings_schema.map(std::borrow::Cow::into_owned),
        }
    }

    fn parse_settings(settings: &str) -> Result<Settings, wt::PluginError> {
        if settings.trim().is_empty() {
            return Ok(Settings::Object(Default::default()));
        }
        serde_json::from_str(settings).map_err(|e| wt::PluginError {
            message: format!("settings are not JSON: {e}"),
        })
    }

    pub fn validate_settings(
        settings: &str,
        validate: fn(&Settings) -> Result<(), String>,
    ) -> Result<(), wt::PluginError> {
        let s = parse_settings(settings)?;
        validate(&s).map_err(|message| wt::PluginError { message })
    }

    /// `check-text`: the plugin parses the text with the host's own parser
    /// (the one Dockerfile crossing; see `dockerfile-text-check` in the WIT).
    pub fn check(
        path: String,
        text: String,
        settings: &str,
        check: fn(&Document, &Settings) -> Result<Vec<Finding>, String>,
    ) -> Result<Vec<wt::Finding>, wt::PluginError> {
        let settings = parse_settings(settings)?;
        let doc =
            Document::parse_string(path, text).map_err(|message| wt::PluginError { message })?;
        let findings = check(&doc, &settings).map_err(|message| wt::PluginError { message })?;
        Ok(findings
            .into_iter()
            .map(|f| f.to_wit(&|s| doc.wit_span(s)))
            .collect())
    }

    pub fn check_manifest(
        doc: wm::Manifest,
        settings: &str,
        check: fn(&Manifest, &Settings) -> Result<Vec<Finding>, String>,
    ) -> Result<Vec<wt::Finding>, wt::PluginError> {
        let settings = parse_settings(settings)?;
        let doc = Manifest::from_wit(doc);
        let findings = check(&doc, &settings).map_err(|message| wt::PluginError { message })?;
        Ok(findings
            .into_iter()
            .map(|f| f.to_wit(&|s| doc.wit_span(s)))
            .collect())
    }

    pub fn check_image(
        image: wimg::ImageTarget,
        settings: &str,
        check: fn(&ImageTarget, &Settings) -> Result<Vec<Finding>, String>,
    ) -> Result<Vec<wt::Finding>, wt::PluginError> {
        let settings = parse_settings(settings)?;
        let image = ImageTarget {
            reference: image.reference,
            canonical: image.canonical,
            digest: image.digest,
        };
        let findings = check(&image, &settings).map_err(|message| wt::PluginError { message })?;
        findings
            .iter()
            .map(Finding::to_wit_for_image)
            .collect::<Result<_, _>>()
            .map_err(|message| wt::PluginError { message })
    }
}
