//! Running a loaded plugin on a target: a store and instance per batch of
//! calls (`plugin::Warm`), the call, its failures classified, its findings
//! validated.

use std::sync::Arc;

use wasmtime::component::Instance;
use wasmtime::{Store, Trap};

use crate::bindings::exports::plimsoll::plugin::image_check;
use crate::bindings::plimsoll::plugin::types as wtypes;
use crate::plugin::{DockerfileExport, Warm};
use crate::store::StoreState;
use crate::{
    FailureKind, Host, ImageTarget, ImageView, Limits, ManifestTarget, Plugin, PluginFailure,
    Transcript, convert, engine,
};
use plimsoll_dockerfile::Dockerfile;
use plimsoll_report as report;

impl Host {
    /// Classifies an error from a call into a plugin.
    pub(crate) fn failure(
        &self,
        plugin: &str,
        limits: &Limits,
        store: &Store<StoreState>,
        what: &str,
        err: wasmtime::Error,
    ) -> PluginFailure {
        let stderr = String::from_utf8_lossy(&store.data().stderr.contents()).into_owned();
        let backtrace = err
            .downcast_ref::<wasmtime::WasmBacktrace>()
            .map(|b| b.to_string());
        let mut f = if let Some(msg) = &store.data().clock.exceeded {
            PluginFailure::new(
                plugin,
                FailureKind::Budget,
                format!("stopped during {what}: it {msg}"),
            )
        } else if let Some(msg) = &store.data().limiter.exceeded {
            PluginFailure::new(
                plugin,
                FailureKind::MemoryLimit,
                format!("exceeded its memory limit during {what}: {msg}"),
            )
        } else if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
            PluginFailure::new(
                plugin,
                FailureKind::Timeout,
                format!(
                    "timed out during {what} after {} ms (limit: {} ms; raise `limits.timeout-ms`)",
                    limits.timeout.as_millis(),
                    limits.timeout.as_millis()
                ),
            )
        } else {
            let trap = err
                .downcast_ref::<Trap>()
                .map(|t| t.to_string())
                .unwrap_or_else(|| format!("{err:#}"));
            PluginFailure::new(
                plugin,
                FailureKind::Trap,
                format!("trapped during {what}: {trap}"),
            )
        };
        f.backtrace = backtrace;
        f.stderr = Some(stderr).filter(|s| !s.is_empty());
        f
    }

    /// Runs a plugin's Dockerfile check on one parsed Dockerfile: its text
    /// for `dockerfile-text-check`, its records for `dockerfile-check`.
    pub fn check_dockerfile(
        &self,
        plugin: &Plugin,
        doc: &Dockerfile,
        path: &str,
    ) -> Result<Vec<report::Finding>, PluginFailure> {
        self.check_dockerfile_transcribed(plugin, doc, path)
            .map(|(found, _)| found)
    }

    /// [`Self::check_dockerfile`], with the host calls the plugin made (a
    /// result cache keeps the answer of a replayable call).
    pub fn check_dockerfile_transcribed(
        &self,
        plugin: &Plugin,
        doc: &Dockerfile,
        path: &str,
    ) -> Result<(Vec<report::Finding>, Transcript), PluginFailure> {
        let Some(idx) = &plugin.dockerfile_idx else {
            return Ok((Vec::new(), Transcript::default()));
        };
        let settings = &plugin.settings_json;
        let what = format!("check of {path}");
        // Records are built only for a plugin that takes them.
        let records = match idx {
            DockerfileExport::Records(_) => Some(convert::document(doc, path)),
            DockerfileExport::Text(_) => None,
        };
        let (result, transcript) = self.call_transcribed(
            plugin,
            &what,
            |_| {},
            |store, inst| match (idx, &records) {
                (DockerfileExport::Text(idx), _) => idx
                    .load(&mut *store, inst)?
                    .call_check_text(store, path, &doc.text, settings),
                (DockerfileExport::Records(idx), Some(records)) => idx
                    .load(&mut *store, inst)?
                    .call_check(store, records, settings),
                (DockerfileExport::Records(_), None) => unreachable!("records are built above"),
            },
        )?;
        let target = convert::TargetText::File {
            path,
            text: &doc.text,
            lines: &doc.lines,
        };
        Ok((Self::accept(plugin, path, &target, result)?, transcript))
    }

    /// The manifest kinds a plugin checks: its `kinds` answer, asked once.
    /// Plugins without `manifest-check` check none.
    pub fn manifest_kinds(&self, plugin: &Plugin) -> Result<Vec<String>, PluginFailure> {
        let Some(idx) = &plugin.manifest_idx else {
            return Ok(Vec::new());
        };
        plugin
            .manifest_kinds
            .get_or_init(|| {
                self.call(
                    plugin,
                    "kinds",
                    |_| {},
                    |store, inst| idx.load(&mut *store, inst)?.call_kinds(store),
                )
            })
            .clone()
    }

    /// Runs a plugin's `manifest-check` on one manifest, when the plugin
    /// checks its kind.
    pub fn check_manifest(
        &self,
        plugin: &Plugin,
        manifest: &ManifestTarget,
        path: &str,
    ) -> Result<Vec<report::Finding>, PluginFailure> {
        let Some(idx) = &plugin.manifest_idx else {
            return Ok(Vec::new());
        };
        let kind = manifest.manifest.kind.as_str();
        if !self.manifest_kinds(plugin)?.iter().any(|k| k == kind) {
            return Ok(Vec::new());
        }
        let wit = convert::manifest(manifest, path);
        let result = self.call(
            plugin,
            &format!("check of {path}"),
            |_| {},
            |store, inst| {
                idx.load(&mut *store, inst)?
                    .call_check_manifest(store, &wit, &plugin.settings_json)
            },
        )?;
        let target = convert::TargetText::File {
            path,
            text: &manifest.text,
            lines: &manifest.lines,
        };
        Self::accept(plugin, path, &target, result)
    }

    /// Runs a plugin's `image-check` on one image. Plugins that do not
    /// export it report nothing.
    pub fn check_image(
        &self,
        plugin: &Plugin,
        image: &ImageTarget,
        view: Option<Arc<dyn ImageView>>,
    ) -> Result<Vec<report::Finding>, PluginFailure> {
        let Some(idx) = &plugin.image_idx else {
            return Ok(Vec::new());
        };
        let reference = image.reference.as_str();
        let wit_image = image_check::ImageTarget {
            reference: image.reference.clone(),
            canonical: image.canonical.clone(),
            digest: image.digest.clone(),
        };
        let result = self.call(
            plugin,
            &format!("check of image {reference}"),
            |state| state.image = view,
            |store, inst| {
                idx.load(&mut *store, inst)?.call_check_image(
                    store,
                    &wit_image,
                    &plugin.settings_json,
                )
            },
        )?;
        Self::accept(
            plugin,
            reference,
            &convert::TargetText::Image { reference },
            result,
        )
    }

    /// One call into a plugin: a store and instance (one this worker's
    /// earlier call left clean, else a fresh one; `prepare` may hand it
    /// what the call reads), the call, and the budget checked after it; any
    /// failure classified and named after `what`.
    fn call<T>(
        &self,
        plugin: &Plugin,
        what: &str,
        prepare: impl FnOnce(&mut StoreState),
        call: impl FnOnce(&mut Store<StoreState>, &Instance) -> wasmtime::Result<T>,
    ) -> Result<T, PluginFailure> {
        self.call_transcribed(plugin, what, prepare, call)
            .map(|(r, _)| r)
    }

    /// [`Self::call`], with the host calls the plugin made.
    fn call_transcribed<T>(
        &self,
        plugin: &Plugin,
        what: &str,
        prepare: impl FnOnce(&mut StoreState),
        call: impl FnOnce(&mut Store<StoreState>, &Instance) -> wasmtime::Result<T>,
    ) -> Result<(T, Transcript), PluginFailure> {
        let name = plugin.name.as_str();
        let (mut store, instance) = match plugin.take_warm() {
            Some(Warm {
                mut store,
                instance,
                calls,
            }) => {
                engine::new_call(&mut store);
                (store, Ok((instance, calls)))
            }
            None => {
                let mut store = self.new_store(name, &plugin.limits, &plugin.granted);
                let instance = plugin.pre.instantiate(&mut store).map(|i| (i, 0));
                (store, instance)
            }
        };
        prepare(store.data_mut());
        let result = instance.and_then(|(instance, calls)| {
            let r = call(&mut store, &instance)?;
            within_budget(&mut store)?;
            Ok((r, instance, calls))
        });
        match result {
            Ok((r, instance, calls)) => {
                let transcript = std::mem::take(&mut store.data_mut().transcript);
                plugin.give_back(Warm {
                    store,
                    instance,
                    calls: calls + 1,
                });
                Ok((r, transcript))
            }
            Err(e) => Err(self.failure(name, &plugin.limits, &store, what, e)),
        }
    }

    /// Validates what a check returned: the plugin's own error, the finding
    /// limit, each finding's rule, location and fixes.
    fn accept(
        plugin: &Plugin,
        what: &str,
        target: &convert::TargetText<'_>,
        result: Result<Vec<wtypes::Finding>, wtypes::PluginError>,
    ) -> Result<Vec<report::Finding>, PluginFailure> {
        let name = plugin.name.as_str();
        let raw = result.map_err(|e| {
            PluginFailure::new(
                name,
                FailureKind::Reported,
                format!("failed to check {what}: {}", e.message),
            )
        })?;
        if raw.len() > plugin.limits.max_findings {
            return Err(PluginFailure::new(
                name,
                FailureKind::InvalidOutput,
                format!(
                    "returned {} findings for {what}; the limit is {}",
                    raw.len(),
                    plugin.limits.max_findings
                ),
            ));
        }
        let mut out = Vec::with_capacity(raw.len());
        let mut invalid = Vec::new();
        for f in raw {
            match convert::finding(name, &plugin.rule_table, target, f) {
                Ok(f) => out.push(f),
                Err(e) => invalid.push(e),
            }
        }
        if !invalid.is_empty() {
            return Err(PluginFailure::new(
                name,
                FailureKind::InvalidOutput,
                format!(
                    "returned {} invalid finding(s) for {what}: {}",
                    invalid.len(),
                    invalid[..invalid.len().min(3)].join("; ")
                ),
            ));
        }
        Ok(out)
    }
}

/// A call that finished after its budget ran out (a sleep cut at the
/// deadline, host calls refused) still failed: its answer may be partial.
fn within_budget(store: &mut Store<StoreState>) -> wasmtime::Result<()> {
    if store.data_mut().clock.past_wall_deadline() {
        return Err(Trap::Interrupt.into());
    }
    Ok(())
}
