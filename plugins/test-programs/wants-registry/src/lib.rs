//! A plugin that calls the `registry` capability, so the host's grant check can
//! be tested: without `capabilities = ["registry"]` it must be refused at load.

use plimsoll_plugin_sdk::prelude::*;

declare_rule! {
    /// ## What it does
    /// Reports every base image's resolution result.
    pub static RULE = Rule {
        id: "WANTS001",
        name: "resolved-base",
        summary: "Base image resolution result",
        level: Level::Note,
    };
}

struct WantsRegistry;

impl DockerfilePlugin for WantsRegistry {
    fn info() -> PluginInfo {
        PluginInfo::new("wants-registry", "0.1.0", &[&RULE])
    }

    fn check(doc: &Document, _settings: &Settings) -> Result<Vec<Finding>, String> {
        Ok(doc
            .stages()
            .iter()
            .map(|s| {
                let msg = match plimsoll_plugin_sdk::registry::resolve(&s.base) {
                    Ok(r) => format!("{} is {}", r.canonical, r.digest),
                    Err(e) => format!("{} could not be resolved: {e:?}", s.base),
                };
                Finding::new(&RULE, msg).at(s.base_span)
            })
            .collect())
    }
}

dockerfile_plugin!(WantsRegistry);
