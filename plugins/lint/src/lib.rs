//! plimsoll's built-in Dockerfile linter: the union of hadolint's DL rules,
//! Trivy's DS checks and Checkov's CKV_DOCKER checks, plus the container-image
//! guidance plimsoll enforces. One rule per file under `rules/`; each rule's doc
//! comment is what `plimsoll explain` shows.

mod image;
pub mod rules;
mod settings;
pub mod util;

use plimsoll_plugin_sdk::prelude::*;

// Talc rather than the wasm target's dlmalloc: the lint plugin allocates
// and frees a great deal (every RUN's shell syntax tree), and dlmalloc/dlfree
// were ~11% of a corpus run's time; with talc the corpus runs ~10% faster
// (same findings). In front of it, a cache of freed blocks per size class
// (`SizeClasses`): talc's search and coalescing were still ~9% of a corpus
// run. The host's memory limit applies all the same: talc grows the memory
// with `memory.grow`, which the limiter may refuse.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOC: plimsoll_plugin_sdk::alloc::SizeClasses<talc::wasm::WasmDynamicTalc> =
    plimsoll_plugin_sdk::alloc::SizeClasses::new(talc::wasm::new_wasm_dynamic_allocator());

pub use settings::{LabelType, LintSettings};

/// What a rule sees: the document, the settings, RUN scripts parsed once, today,
/// and where to put findings.
pub struct Ctx<'a> {
    pub doc: &'a Document,
    pub settings: &'a LintSettings,
    pub runs: Vec<util::Run<'a>>,
    pub today: util::Date,
    findings: Vec<Finding>,
}

impl<'a> Ctx<'a> {
    pub fn report(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    pub fn df(&self) -> &'a Dockerfile {
        &self.doc.parsed
    }
}

/// Runs the rules `filter` keeps.
pub fn run_rules(
    doc: &Document,
    settings: &LintSettings,
    filter: impl Fn(&Rule) -> bool,
) -> Vec<Finding> {
    run_rules_at(doc, settings, util::Date::today(), filter)
}

/// Runs the rules `filter` keeps as if today were `today` (tests pin the date).
pub fn run_rules_at(
    doc: &Document,
    settings: &LintSettings,
    today: util::Date,
    filter: impl Fn(&Rule) -> bool,
) -> Vec<Finding> {
    let scripts = util::run_scripts(&doc.parsed);
    let mut ctx = Ctx {
        doc,
        settings,
        runs: util::runs(&doc.parsed, &scripts),
        today,
        findings: Vec::new(),
    };
    for entry in rules::RULES {
        if filter(entry.rule) {
            (entry.check)(&mut ctx);
        }
    }
    ctx.findings
}

pub struct Lint;

impl DockerfilePlugin for Lint {
    fn info() -> PluginInfo {
        PluginInfo::new(
            "lint",
            env!("CARGO_PKG_VERSION"),
            &rules::RULES.iter().map(|r| r.rule).collect::<Vec<_>>(),
        )
        .description("Dockerfile best practices, security and correctness")
        .settings_schema(settings::schema())
    }

    fn validate_settings(settings: &Settings) -> Result<(), String> {
        LintSettings::from_json(settings).map(|_| ())
    }

    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String> {
        let settings = LintSettings::from_json(settings)?;
        Ok(run_rules(doc, &settings, |_| true))
    }

    fn check_image(_image: &ImageTarget, settings: &Settings) -> Result<Vec<Finding>, String> {
        let settings = LintSettings::from_json(settings)?;
        image::check(&settings, |_| true)
    }
}

plimsoll_plugin_sdk::dockerfile_plugin!(Lint);
