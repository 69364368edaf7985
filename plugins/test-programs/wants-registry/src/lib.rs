//! A plugin that calls the `registry` capability, so the host's grant check can
//! be tested: without `capabilities = ["registry"]` it must be refused at load;
//! with `loop-calls` it calls the registry until the host stops it.

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

    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String> {
        // `{"loop-calls": true}`: ask the registry over and over, as a
        // plugin that tries to spend the host's time would.
        if settings.get("loop-calls").and_then(|v| v.as_bool()) == Some(true) {
            let mut denied = 0;
            for i in 0..1_000_000u32 {
                let answer = plimsoll_plugin_sdk::registry::resolve(&format!("127.0.0.1:9/x:{i}"));
                if answer.is_err_and(|e| format!("{e:?}").contains("host calls")) {
                    denied += 1;
                    if denied > 10 {
                        break;
                    }
                }
            }
        }
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
