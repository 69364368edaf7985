//! The plugins a check runs, loaded when the first target needs them.
//!
//! A re-run whose files all hit the whole-file result cache asks no plugin
//! anything, and loading the built-ins (mapping their compiled code,
//! instantiating each for its metadata and settings) was most of what such
//! a run did. So when every plugin of a run is a built-in whose rules an
//! earlier run left in the rule cache, what keys their answers (name,
//! component sha256, settings, grants) and their rules are known without
//! them, and the load waits for the first target checked afresh.
//!
//! Nothing a user sees changes: a load error reaches the report at the end
//! of the run as it did from its start (exit 3), and a run whose deferred
//! load failed keeps no whole-file answers. (An answer is kept under a key
//! naming every plugin of the run; one that did not load ran on no file, so
//! answers computed without it must not be replayed as if it had. With an
//! eager load, a plugin that fails is left out of the key instead.) Settings
//! an earlier run's entry was kept under were accepted by that same
//! component then: an entry exists only for a run where all its plugins
//! loaded.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use plimsoll_config::LoadedConfig;
use plimsoll_host::{Host, Plugin, PluginSpec};
use plimsoll_report::{RuleInfo, RunError};

use crate::result_cache::PluginIdentity;
use crate::select::Selection;

/// A run's plugins, loaded or waiting to be.
pub(crate) struct RunPlugins {
    loaded: OnceLock<Loaded>,
    deferred: Option<Deferred>,
}

/// The plugins once loaded.
pub(crate) struct Loaded {
    pub plugins: Vec<Arc<Plugin>>,
    /// Plugins whose answers hang on nothing outside the Dockerfile (they
    /// use no registry, signatures, vulnerability or package data): the
    /// ones whose ignores PL0003 may call unused.
    pub self_contained: HashSet<String>,
}

/// What a deferred load needs, and what it knows meanwhile.
struct Deferred {
    specs: Vec<Waiting>,
    /// For errors that name a line of the config.
    cfg: LoadedConfig,
    errors: Mutex<Vec<RunError>>,
}

/// A built-in waiting to be loaded.
struct Waiting {
    spec: PluginSpec,
    /// Its component's sha256.
    sha256: &'static str,
    /// Its rules, as the rule cache knows them.
    rules: Vec<RuleInfo>,
    /// Its settings as it will be given them.
    settings_json: String,
}

impl Loaded {
    fn new(plugins: Vec<Arc<Plugin>>) -> Loaded {
        let self_contained = plugins
            .iter()
            .filter(|p| {
                p.imports
                    .iter()
                    .filter_map(|i| plimsoll_config::Capability::from_import(i))
                    .all(|c| c == plimsoll_config::Capability::Image)
            })
            .map(|p| p.name.clone())
            .collect();
        Loaded {
            plugins,
            self_contained,
        }
    }
}

impl RunPlugins {
    /// Plugins loaded already.
    pub fn loaded(plugins: Vec<Arc<Plugin>>) -> RunPlugins {
        RunPlugins {
            loaded: OnceLock::from(Loaded::new(plugins)),
            deferred: None,
        }
    }

    /// Built-ins to load on first use, each with its component's sha256 and
    /// its rules as the rule cache knows them.
    pub fn deferred(
        specs: Vec<(PluginSpec, &'static str, Vec<RuleInfo>)>,
        cfg: &LoadedConfig,
    ) -> RunPlugins {
        let specs = specs
            .into_iter()
            .map(|(spec, sha256, rules)| Waiting {
                sha256,
                rules,
                settings_json: spec.settings.to_string(),
                spec,
            })
            .collect();
        RunPlugins {
            loaded: OnceLock::new(),
            deferred: Some(Deferred {
                specs,
                cfg: cfg.clone(),
                errors: Mutex::default(),
            }),
        }
    }

    /// The plugins, loading them first if they wait.
    pub fn get(&self, host: &Host) -> &Loaded {
        self.loaded.get_or_init(|| {
            let d = self
                .deferred
                .as_ref()
                .expect("plugins are either loaded or deferred");
            let specs: Vec<PluginSpec> = d.specs.iter().map(|w| w.spec.clone()).collect();
            tracing::debug!(
                "loading {} plugins for the first target checked",
                specs.len()
            );
            let (plugins, errors) = crate::plugins::load(host, &specs, &d.cfg);
            *d.errors.lock().unwrap_or_else(|e| e.into_inner()) = errors;
            Loaded::new(plugins)
        })
    }

    /// What keys the answers of the plugins with a selected rule, loaded or
    /// not.
    pub fn running_identities<'a>(&'a self, selection: &Selection) -> Vec<PluginIdentity<'a>> {
        let selected = |rules: &[RuleInfo]| rules.iter().any(|r| selection.enabled(r));
        match (self.loaded.get(), &self.deferred) {
            (Some(l), _) => l
                .plugins
                .iter()
                .filter(|p| selected(&p.rules))
                .map(|p| PluginIdentity::from(&**p))
                .collect(),
            (None, Some(d)) => d
                .specs
                .iter()
                .filter(|w| selected(&w.rules))
                .map(|w| PluginIdentity {
                    name: &w.spec.name,
                    sha256: w.sha256,
                    settings_json: &w.settings_json,
                    granted: &w.spec.capabilities,
                })
                .collect(),
            (None, None) => Vec::new(),
        }
    }

    /// Errors of a deferred load (none when nothing was loaded late).
    pub fn take_late_errors(&mut self) -> Vec<RunError> {
        self.deferred
            .as_mut()
            .map(|d| std::mem::take(d.errors.get_mut().unwrap_or_else(|e| e.into_inner())))
            .unwrap_or_default()
    }

    /// Whether the plugins were loaded for this run (eagerly or late).
    pub fn were_loaded(&self) -> bool {
        self.loaded.get().is_some()
    }
}
