//! A plugin: where it comes from, what it is granted, and loading it —
//! compile (or an authenticated cache hit), vet its imports against its
//! grants, read its metadata, validate its settings.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, types::ComponentItem};

use crate::bindings::exports::plimsoll::plugin::{
    dockerfile_check, dockerfile_text_check, image_check, manifest_check, plugin as wplugin,
};
use crate::store::StoreState;
use crate::{
    ALWAYS_GRANTED, CacheOutcome, Capability, FailureKind, Host, Limits, PluginFailure,
    WIT_VERSION, convert, metadata,
};
use plimsoll_report as report;

/// Where a plugin's bytes come from.
#[derive(Debug, Clone)]
pub enum PluginSource {
    /// Built into the binary, with its sha256 (hex) computed when the binary
    /// was built: as trusted as the bytes beside it, and not hashed again at
    /// every start.
    Builtin(&'static [u8], &'static str),
    /// A `.wasm` file.
    File(PathBuf),
    /// Bytes fetched elsewhere (an OCI registry), with a label for messages.
    Bytes(Arc<Vec<u8>>, String),
}

impl PluginSource {
    pub fn describe(&self) -> String {
        match self {
            PluginSource::Builtin(..) => "built-in".into(),
            PluginSource::File(p) => p.display().to_string(),
            PluginSource::Bytes(_, label) => label.clone(),
        }
    }
}

/// What to load and what to grant it.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// The name findings and errors are reported under (the config's `name`).
    pub name: String,
    pub source: PluginSource,
    /// Expected sha256 of the component, hex (optionally `sha256:`-prefixed).
    pub sha256: Option<String>,
    /// Capabilities granted.
    pub capabilities: Vec<Capability>,
    pub limits: Limits,
    /// The plugin's settings (a JSON object).
    pub settings: serde_json::Value,
}

/// An image to check, resolved by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageTarget {
    /// As the user wrote it.
    pub reference: String,
    /// Normalised (`docker.io/library/alpine:3.19`).
    pub canonical: String,
    /// What the reference names, verified.
    pub digest: String,
}

/// A manifest to check: its text, its line index and what the host found
/// in it.
#[derive(Debug, Clone)]
pub struct ManifestTarget {
    pub text: String,
    pub lines: plimsoll_dockerfile::LineIndex,
    pub manifest: plimsoll_manifests::Manifest,
}

impl ManifestTarget {
    /// Reads `text` as a `kind` manifest.
    pub fn parse(
        kind: plimsoll_manifests::Kind,
        text: String,
        options: &plimsoll_manifests::Options,
    ) -> Result<Self, plimsoll_manifests::ParseError> {
        let manifest = plimsoll_manifests::extract_with(kind, &text, options)?;
        Ok(ManifestTarget {
            lines: plimsoll_dockerfile::LineIndex::new(&text),
            text,
            manifest,
        })
    }
}

/// A loaded, vetted plugin ready to check targets.
pub struct Plugin {
    pub name: String,
    /// The name the plugin gives itself in its metadata.
    pub declared_name: String,
    pub version: String,
    pub description: String,
    pub source: String,
    pub sha256: String,
    pub rules: Vec<report::RuleInfo>,
    pub settings_schema: Option<String>,
    /// Everything the component imports (WASI and plimsoll interfaces).
    pub imports: Vec<String>,
    pub cache: CacheOutcome,
    pub load_time: Duration,
    /// The plugin checks Dockerfiles (exports `dockerfile-text-check` or
    /// `dockerfile-check`).
    pub checks_dockerfiles: bool,
    /// The plugin checks images (exports `image-check`).
    pub checks_images: bool,
    /// The plugin reads image contents (imports the `image` capability):
    /// the caller must open the image's layers for it.
    pub reads_images: bool,
    /// The plugin asks for installed packages (imports `packages`): it can
    /// check an SBOM (`check --sbom`).
    pub reads_packages: bool,
    /// The component carries a `dev.plimsoll.metadata` section (checked
    /// against what the plugin reports).
    pub annotated: bool,
    pub(crate) rule_table: convert::RuleTable,
    pub(crate) settings_json: String,
    pub(crate) limits: Limits,
    pub(crate) granted: Arc<[Capability]>,
    pub(crate) pre: wasmtime::component::InstancePre<StoreState>,
    pub(crate) dockerfile_idx: Option<DockerfileExport>,
    pub(crate) image_idx: Option<image_check::GuestIndices>,
    pub(crate) manifest_idx: Option<manifest_check::GuestIndices>,
    /// The manifest kinds the plugin checks, asked once (`kinds`) the first
    /// time a manifest is checked.
    pub(crate) manifest_kinds: std::sync::OnceLock<Result<Vec<String>, PluginFailure>>,
    /// Instances whose last call ended cleanly, for the next call (see
    /// [`Warm`]).
    pub(crate) warm: Idle<Warm>,
}

/// How a plugin takes a Dockerfile, one crossing either way: as its path and
/// text, parsed by the plugin itself (`dockerfile-text-check`, what the Rust
/// SDK exports: it parses with this same parser), or as the records the
/// host parsed (`dockerfile-check`, for plugins in other languages).
pub(crate) enum DockerfileExport {
    Text(dockerfile_text_check::GuestIndices),
    Records(dockerfile_check::GuestIndices),
}

/// An instance kept for the plugin's next call, with its store.
///
/// Plugins are instantiated once per batch of calls, not once per target:
/// a worker thread's instance checks up to [`Warm::MAX_CALLS`] targets in a
/// row, then a fresh one takes over. An instance is only kept after a call
/// that ended cleanly — no trap, no limit or budget reached, nothing written
/// to stderr — and while its memory is under [`Warm::MAX_MEMORY`] (and half
/// the plugin's limit), so a plugin that leaks cannot fail a later target
/// for an earlier one's sake. Per-call accounts (time, host calls, log
/// lines) start afresh on every call. What a plugin keeps in its own memory
/// between calls (a cache, a counter) may or may not be there on the next
/// call, which may be on another worker: a check must depend on its
/// arguments only (docs/plugins/authoring.md).
pub(crate) struct Warm {
    pub(crate) store: wasmtime::Store<StoreState>,
    pub(crate) instance: wasmtime::component::Instance,
    /// Calls this instance has answered.
    pub(crate) calls: u32,
}

/// Instances kept for later calls, each with the thread whose call it last
/// answered; a thread is given back the one it gave last when there is one.
/// A worker takes runs of neighbouring targets, and an instance remembers
/// what it parsed for the next call (the lint plugin's RUN scripts): handed
/// to whichever worker asked first, the two instances of a 2-core run
/// swapped workers call after call and each saw the other's files
/// (`--select lint` over the corpus: 0.92x CPU time kept to their thread).
pub(crate) struct Idle<T>(std::sync::Mutex<Vec<(std::thread::ThreadId, T)>>);

impl<T> Default for Idle<T> {
    fn default() -> Self {
        Idle(std::sync::Mutex::new(Vec::new()))
    }
}

impl<T> Idle<T> {
    /// This thread's own when it left one, else any.
    pub(crate) fn take(&self) -> Option<T> {
        let me = std::thread::current().id();
        let mut idle = self.0.lock().ok()?;
        match idle.iter().rposition(|(owner, _)| *owner == me) {
            Some(mine) => Some(idle.swap_remove(mine).1),
            None => idle.pop().map(|(_, kept)| kept),
        }
    }

    pub(crate) fn give(&self, kept: T) {
        if let Ok(mut idle) = self.0.lock() {
            idle.push((std::thread::current().id(), kept));
        }
    }
}

impl Warm {
    /// Calls one instance answers before a fresh one takes over.
    pub(crate) const MAX_CALLS: u32 = 256;
    /// The largest linear memory an instance may have grown to and be kept.
    pub(crate) const MAX_MEMORY: usize = 64 << 20;
}

impl Plugin {
    /// The capabilities the config granted it.
    pub fn granted(&self) -> &[Capability] {
        &self.granted
    }

    /// An instance an earlier call left clean, if any (see [`Idle`]).
    pub(crate) fn take_warm(&self) -> Option<Warm> {
        self.warm.take()
    }

    /// Keeps `warm` for a later call when it may still serve one.
    pub(crate) fn give_back(&self, mut warm: Warm) {
        let state = warm.store.data_mut();
        state.image = None;
        let clean = warm.calls < Warm::MAX_CALLS
            && state.limiter.exceeded.is_none()
            && state.clock.exceeded.is_none()
            && state.limiter.grown_to <= Warm::MAX_MEMORY.min(self.limits.memory_bytes / 2)
            && state.stderr.contents().is_empty();
        if clean {
            self.warm.give(warm);
        }
    }
}

impl Plugin {
    /// The effective settings handed to the plugin (JSON).
    pub fn settings_json(&self) -> &str {
        &self.settings_json
    }

    /// How the plugin takes a Dockerfile: `"text"` (`dockerfile-text-check`,
    /// it parses the text itself), `"records"` (`dockerfile-check`, the
    /// host's parse), or `None` when it checks no Dockerfiles.
    pub fn dockerfile_input(&self) -> Option<&'static str> {
        self.dockerfile_idx.as_ref().map(|e| match e {
            DockerfileExport::Text(_) => "text",
            DockerfileExport::Records(_) => "records",
        })
    }

    /// The capabilities its imports ask for, in [`Capability::ALL`] order.
    pub fn capabilities(&self) -> Vec<Capability> {
        imported_capabilities(&self.imports)
    }

    /// What `plimsoll plugin annotate` embeds: the plugin's own answers.
    pub fn metadata(&self) -> metadata::EmbeddedMetadata {
        metadata::EmbeddedMetadata {
            name: self.declared_name.clone(),
            version: self.version.clone(),
            description: self.description.clone(),
            wit_version: WIT_VERSION.to_string(),
            rules: self
                .rules
                .iter()
                .map(|r| metadata::RuleMetadata {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    default_level: r.default_level.as_str().to_string(),
                    summary: r.summary.clone(),
                })
                .collect(),
            settings_schema: self
                .settings_schema
                .as_deref()
                .and_then(|s| serde_json::from_str(s).ok()),
            capabilities: self.capabilities().iter().map(|c| c.to_string()).collect(),
            checks: [
                (self.checks_dockerfiles, "dockerfile"),
                (self.checks_images, "image"),
            ]
            .into_iter()
            .filter(|(yes, _)| *yes)
            .map(|(_, c)| c.to_string())
            .collect(),
        }
    }
}

/// Whether a settings schema accepts `{}` whatever its details: an object
/// schema whose top level only describes properties (none required, no
/// combinators, no conditions).
pub fn empty_object_always_valid(schema: &str) -> bool {
    const DESCRIPTIVE: &[&str] = &[
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "definitions",
        "title",
        "description",
        "examples",
        "default",
        "properties",
        "patternProperties",
        "additionalProperties",
        "type",
    ];
    let Ok(serde_json::Value::Object(top)) = serde_json::from_str::<serde_json::Value>(schema)
    else {
        return false;
    };
    top.iter()
        .all(|(k, v)| DESCRIPTIVE.contains(&k.as_str()) && (k != "type" || v == "object"))
}

/// Validates `settings` against a plugin's JSON Schema. The error names the
/// first offending key as a JSON pointer (`/allowed-registries/0`), `None`
/// when the schema itself is unusable.
fn check_settings_schema(
    schema: &str,
    settings: &serde_json::Value,
) -> Result<(), (Option<String>, String)> {
    let schema: serde_json::Value = serde_json::from_str(schema).map_err(|e| {
        (
            None,
            format!("publishes a settings schema that is not JSON: {e}"),
        )
    })?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| (None, format!("publishes an invalid settings schema: {e}")))?;
    let errors: Vec<_> = validator.iter_errors(settings).collect();
    let Some(first) = errors.first() else {
        return Ok(());
    };
    let mut pointer = first.instance_path.as_str().to_string();
    if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } = &first.kind
        && let Some(key) = unexpected.first()
    {
        // Point at the unexpected key itself, not at its table.
        pointer = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
    }
    let described: Vec<String> = errors
        .iter()
        .take(3)
        .map(|e| match e.instance_path.as_str() {
            "" if std::ptr::eq(e, first) && !pointer.is_empty() => format!("at `{pointer}`: {e}"),
            "" => e.to_string(),
            p => format!("at `{p}`: {e}"),
        })
        .collect();
    let more = match errors.len() {
        n if n > 3 => format!("; and {} more", n - 3),
        _ => String::new(),
    };
    Err((
        Some(pointer),
        format!("rejected its settings: {}{more}", described.join("; ")),
    ))
}

/// What differs between an embedded section and the plugin's own answers
/// (the WIT version may differ: a plugin annotated by an older host).
fn metadata_mismatch(
    embedded: &metadata::EmbeddedMetadata,
    actual: &metadata::EmbeddedMetadata,
) -> Option<String> {
    if embedded.name != actual.name {
        return Some(format!("name `{}` vs `{}`", embedded.name, actual.name));
    }
    if embedded.version != actual.version {
        return Some(format!(
            "version {} vs {}",
            embedded.version, actual.version
        ));
    }
    if embedded.rules != actual.rules {
        let ids = |m: &metadata::EmbeddedMetadata| {
            m.rules
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        return Some(format!("rules {} vs {}", ids(embedded), ids(actual)));
    }
    if embedded.capabilities != actual.capabilities {
        return Some(format!(
            "capabilities {:?} vs {:?}",
            embedded.capabilities, actual.capabilities
        ));
    }
    if embedded.settings_schema != actual.settings_schema {
        return Some("settings schema".into());
    }
    None
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("rules", &self.rules.len())
            .finish()
    }
}

impl Host {
    /// Loads, vets and initialises a plugin: compile (or cache hit), check imports
    /// against granted capabilities, read metadata, validate settings.
    pub fn load(&self, spec: &PluginSpec) -> Result<Plugin, PluginFailure> {
        self.load_with(spec, true)
    }

    /// Loads a plugin for `plimsoll plugin inspect`: everything [`Host::load`]
    /// checks except its settings, which an inspection does not have.
    pub fn inspect(&self, spec: &PluginSpec) -> Result<Plugin, PluginFailure> {
        self.load_with(spec, false)
    }

    fn load_with(&self, spec: &PluginSpec, validate: bool) -> Result<Plugin, PluginFailure> {
        let started = Instant::now();
        let name = spec.name.as_str();
        let fail = |kind, msg: String| PluginFailure::new(name, kind, msg);
        let owned;
        let bytes: &[u8] = match &spec.source {
            PluginSource::Builtin(b, _) => b,
            PluginSource::Bytes(b, _) => b,
            PluginSource::File(p) => {
                owned = std::fs::read(p).map_err(|e| {
                    fail(
                        FailureKind::Load,
                        format!("cannot read {}: {e}", p.display()),
                    )
                })?;
                &owned
            }
        };
        let sha256 = match &spec.source {
            PluginSource::Builtin(_, known) => known.to_string(),
            _ => hex::encode(Sha256::digest(bytes)),
        };
        if let Some(want) = &spec.sha256 {
            let want = want
                .trim()
                .trim_start_matches("sha256:")
                .to_ascii_lowercase();
            if want != sha256 {
                return Err(fail(
                    FailureKind::Integrity,
                    format!(
                        "{} has sha256 {sha256}, but the config pins {want}; refusing to load it",
                        spec.source.describe()
                    ),
                ));
            }
        }
        if !wasmparser_is_component(bytes) {
            return Err(fail(
                FailureKind::Load,
                format!(
                    "{} is not a WebAssembly component (build plugins for wasm32-wasip2 or with a component toolchain)",
                    spec.source.describe()
                ),
            ));
        }
        let (component, cache) = match &self.cache {
            Some(c) => c.load(&self.engine, &sha256, bytes),
            None => Component::new(&self.engine, bytes).map(|c| (c, CacheOutcome::Disabled)),
        }
        .map_err(|e| {
            fail(
                FailureKind::Load,
                format!("cannot compile {}: {e:#}", spec.source.describe()),
            )
        })?;

        let builtin = matches!(spec.source, PluginSource::Builtin(..));
        let imports = self.vet_imports(name, &component, &spec.capabilities, builtin)?;
        let imported = imported_capabilities(&imports);
        let reads_images = imported
            .iter()
            .any(|c| matches!(c, Capability::Image | Capability::Packages));
        let reads_packages = imported.contains(&Capability::Packages);
        let granted: Arc<[Capability]> = spec.capabilities.clone().into();
        let bad_exports = |e: wasmtime::Error| {
            fail(
                FailureKind::BadExports,
                format!("does not export what a plimsoll:plugin@{WIT_VERSION} plugin must: {e:#}"),
            )
        };
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(bad_exports)?;
        let plugin_idx = wplugin::GuestIndices::new(&pre).map_err(bad_exports)?;
        let dockerfile_idx = dockerfile_text_check::GuestIndices::new(&pre)
            .map(DockerfileExport::Text)
            .or_else(|_| dockerfile_check::GuestIndices::new(&pre).map(DockerfileExport::Records))
            .ok();
        let image_idx = image_check::GuestIndices::new(&pre).ok();
        let manifest_idx = manifest_check::GuestIndices::new(&pre).ok();
        if dockerfile_idx.is_none() && image_idx.is_none() && manifest_idx.is_none() {
            return Err(fail(
                FailureKind::BadExports,
                format!(
                    "exports no check: it must export at least one of `plimsoll:plugin/dockerfile-text-check@{WIT_VERSION}` (or `dockerfile-check`), `plimsoll:plugin/image-check@{WIT_VERSION}` and `plimsoll:plugin/manifest-check@{WIT_VERSION}`"
                ),
            ));
        }

        // Metadata.
        let mut store = self.new_store(name, &spec.limits, &granted);
        let info = pre
            .instantiate(&mut store)
            .and_then(|inst| plugin_idx.load(&mut store, &inst))
            .and_then(|p| p.call_metadata(&mut store))
            .map_err(|e| self.failure(name, &spec.limits, &store, "metadata", e))?;
        let mut rules = Vec::new();
        let mut seen = HashSet::new();
        for r in info.rules {
            if r.id.trim().is_empty() || !seen.insert(r.id.clone()) {
                return Err(fail(
                    FailureKind::BadMetadata,
                    format!("declares rule id `{}` more than once or empty", r.id),
                ));
            }
            rules.push(report::RuleInfo {
                id: r.id,
                name: r.name,
                plugin: name.to_string(),
                summary: r.summary,
                default_level: convert::level(r.default_level),
                aliases: r.aliases,
                tags: r.tags,
                added_in: r.added_in,
                docs: r.docs,
            });
        }
        let rule_table = rules.iter().map(|r| (r.id.clone(), r.clone())).collect();
        let embedded = metadata::read(bytes).map_err(|e| fail(FailureKind::BadMetadata, e))?;

        // Settings: first against the schema the plugin publishes (so the
        // error can name the key), then the plugin's own validation.
        let settings_json = spec.settings.to_string();
        // A built-in with no settings given skips compiling its schema (and
        // the draft 2020-12 meta-schema it is checked against: about half of
        // a one-file run's CPU) when the schema cannot reject an empty object;
        // the built-ins' schemas are checked against the meta-schema in tests.
        let trivially_valid = builtin
            && spec.settings.as_object().is_some_and(|o| o.is_empty())
            && info
                .settings_schema
                .as_deref()
                .is_none_or(empty_object_always_valid);
        if validate
            && !trivially_valid
            && let Some(schema) = &info.settings_schema
        {
            check_settings_schema(schema, &spec.settings).map_err(|(pointer, message)| {
                let mut f = fail(FailureKind::SettingsRejected, message);
                f.settings_pointer = pointer.map(String::into_boxed_str);
                f
            })?;
        }
        // The instance that validated the settings checks the first target.
        let mut validated = None;
        if validate {
            let mut store = self.new_store(name, &spec.limits, &granted);
            let (verdict, instance) = pre
                .instantiate(&mut store)
                .and_then(|inst| {
                    let verdict = plugin_idx
                        .load(&mut store, &inst)?
                        .call_validate_settings(&mut store, &settings_json)?;
                    Ok((verdict, inst))
                })
                .map_err(|e| self.failure(name, &spec.limits, &store, "validate-settings", e))?;
            if let Err(e) = verdict {
                return Err(fail(
                    FailureKind::SettingsRejected,
                    format!("rejected its settings: {}", e.message),
                ));
            }
            validated = Some(Warm {
                store,
                instance,
                calls: 0,
            });
        }

        let plugin = Plugin {
            name: name.to_string(),
            declared_name: info.name,
            version: info.version,
            description: info.description,
            source: spec.source.describe(),
            sha256,
            rules,
            settings_schema: info.settings_schema,
            imports,
            cache,
            load_time: started.elapsed(),
            checks_dockerfiles: dockerfile_idx.is_some(),
            checks_images: image_idx.is_some(),
            reads_images,
            reads_packages,
            annotated: embedded.is_some(),
            rule_table,
            settings_json,
            limits: spec.limits,
            granted,
            pre,
            dockerfile_idx,
            image_idx,
            manifest_idx,
            manifest_kinds: Default::default(),
            warm: Default::default(),
        };
        if let Some(embedded) = embedded {
            let actual = plugin.metadata();
            if let Some(what) = metadata_mismatch(&embedded, &actual) {
                return Err(fail(
                    FailureKind::BadMetadata,
                    format!(
                        "its {} section disagrees with what it reports ({what}): the file was changed after `plimsoll plugin annotate`, or annotated from another build",
                        metadata::SECTION
                    ),
                ));
            }
        }
        if let Some(warm) = validated {
            plugin.give_back(warm);
        }
        Ok(plugin)
    }

    /// Checks every import: WASI is linked with an empty context; plimsoll
    /// capabilities must be granted; anything else is refused by name.
    /// Built-in plugins (compiled into plimsoll) may import a capability the
    /// run does not grant them, for an optional feature: their calls are
    /// still answered `denied`.
    fn vet_imports(
        &self,
        plugin: &str,
        component: &Component,
        granted: &[Capability],
        builtin: bool,
    ) -> Result<Vec<String>, PluginFailure> {
        let ty = component.component_type();
        let mut names = Vec::new();
        for (import, item) in ty.imports(&self.engine) {
            names.push(import.to_string());
            let base = import.split('@').next().unwrap_or(import);
            if let Some(iface) = base.strip_prefix("plimsoll:plugin/") {
                if ALWAYS_GRANTED.contains(&iface) {
                    continue;
                }
                if let Some(cap) = Capability::from_import(iface) {
                    if builtin || granted.contains(&cap) {
                        continue;
                    }
                    return Err(PluginFailure::new(
                        plugin,
                        FailureKind::ImportDenied,
                        format!(
                            "imports `{import}` but the config does not grant it the `{iface}` capability; add capabilities = [\"{iface}\"] to its [[plugins]] entry if you trust it"
                        ),
                    ));
                }
            }
            let linked = base.starts_with("wasi:")
                && !base.starts_with("wasi:http/")
                && matches!(item.ty, ComponentItem::ComponentInstance(_));
            if !linked {
                return Err(PluginFailure::new(
                    plugin,
                    FailureKind::UnknownImport,
                    format!(
                        "imports `{import}`, which plimsoll does not provide to plugins (plugins get WASI without files, network or environment, and the plimsoll:plugin@{WIT_VERSION} interfaces)"
                    ),
                ));
            }
        }
        names.sort();
        Ok(names)
    }
}

/// The capabilities a list of imports asks for, in [`Capability::ALL`] order.
fn imported_capabilities(imports: &[String]) -> Vec<Capability> {
    let mut caps: Vec<Capability> = imports
        .iter()
        .filter(|i| i.starts_with("plimsoll:plugin/"))
        .filter_map(|i| Capability::from_import(i))
        .collect();
    caps.sort();
    caps.dedup();
    caps
}

/// Cheap check of the component-model preamble (layer 1) before handing bytes to
/// the compiler, so a core module or random file gets a clear message.
fn wasmparser_is_component(bytes: &[u8]) -> bool {
    bytes.len() >= 8 && bytes[..4] == *b"\0asm" && bytes[6..8] == [0x01, 0x00]
}

#[cfg(test)]
mod idle_tests {
    use super::Idle;
    use std::sync::Barrier;

    /// Two threads give an instance back, one after the other, then take
    /// one again, first the thread that gave first: each gets its own (the
    /// last given would go to the first to ask). A thread that left none
    /// takes any.
    #[test]
    fn each_thread_takes_back_its_own() {
        let idle = Idle::default();
        let step = Barrier::new(2);
        let took: Vec<Option<&str>> = std::thread::scope(|s| {
            let threads: Vec<_> = [(0, "a"), (1, "b")]
                .into_iter()
                .map(|(turn, name)| {
                    let (idle, step) = (&idle, &step);
                    s.spawn(move || {
                        let mut mine = None;
                        for stage in 0..4 {
                            if stage == turn {
                                idle.give(name);
                            }
                            if stage == 2 + turn {
                                mine = idle.take();
                            }
                            step.wait();
                        }
                        mine
                    })
                })
                .collect();
            threads.into_iter().map(|t| t.join().unwrap()).collect()
        });
        assert_eq!(took, [Some("a"), Some("b")]);
        idle.give("main");
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(idle.take(), Some("main")));
        });
        assert_eq!(idle.take(), None);
    }
}
