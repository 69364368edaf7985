//! `plimsoll check`: discover Dockerfiles, run every plugin on each (in parallel),
//! apply inline ignores and the rule selection, optionally fix, then report.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use plimsoll_config::LoadedConfig;
use plimsoll_dockerfile::Dockerfile;
use plimsoll_host::{Host, Plugin};
use plimsoll_report::blocks::Blocks;
use plimsoll_report::{Finding, Location, Position, Region, Report, RuleInfo, RunError};
use plimsoll_services::RunServices;

use crate::cli::{FailOn, GlobalArgs, OutputArgs};
use crate::discover::{discover_counting, display_path, exclude_set};
use crate::result_cache::Lookup;
use crate::select::Selection;
use crate::suppress::Suppressions;
use crate::{ExitCode, UsageError, contain, fix, output, plugins};

mod loading;
pub(crate) mod manifests;

/// Everything a target check needs, shared across worker threads.
pub struct Engine {
    pub host: Host,
    /// Loaded, or waiting for the first target checked afresh (see
    /// [`loading`]).
    plugins: loading::RunPlugins,
    pub rules: HashMap<String, RuleInfo>,
    pub selection: Selection,
    /// The services behind the capabilities (the registry client with
    /// them).
    pub services: Arc<RunServices>,
    /// `--platform` for multi-platform images.
    pub platform: Option<plimsoll_oci::Platform>,
    /// `[limits] max-file-mib`, in bytes.
    pub max_file_bytes: u64,
    /// `inline-ignores`: whether ignore comments in Dockerfiles apply.
    pub inline_ignores: bool,
    /// `--diff`: fixes are computed, not written.
    pub diff_only: bool,
    /// Files a `[targets] kubernetes` glob names (display paths): read as
    /// Kubernetes manifests whatever they look like.
    pub kubernetes_files: Arc<std::collections::HashSet<String>>,
    /// How manifests are read (`[targets] crd-images`).
    pub manifest_options: plimsoll_manifests::Options,
    /// What plugins found in files already checked (answers that hang on
    /// registry questions are kept with them and used while the registry
    /// answers them the same).
    results: crate::result_cache::ResultCache,
    /// What this run reported for files already checked, when it ran
    /// before (see [`Engine::use_file_results`]).
    files: crate::result_cache::FileCache,
    /// The plugins whose answers [`Engine::files`] holds (for the log).
    answering: Vec<String>,
    /// The human report's options, when the run writes one: a file whose
    /// answer the result cache kept without blocks rendered with them has
    /// them rendered as it is answered, and kept with it.
    pub human: Option<plimsoll_report::human::HumanOptions>,
    /// Whether the run writes a JSON report: a file whose answer the result
    /// cache kept without the document's elements has them rendered as it
    /// is answered, and kept with it.
    pub json: bool,
    /// Whether a report of the run shows files' text (snippets, SARIF
    /// fingerprints): if not, an unchanged file whose answer the result
    /// cache keeps is not read (see the result cache's `StatKey`).
    pub sources_shown: bool,
}

/// One plugin call on one target: its failure, or a panic while it runs, is
/// a run error naming both.
fn call_plugin<T>(
    p: &Plugin,
    target: &str,
    call: impl FnOnce() -> Result<T, plimsoll_host::PluginFailure>,
) -> Result<T, RunError> {
    contain::contained(
        || format!("checking {target} with plugin {}", p.name),
        Some(&p.name),
        Some(target),
        || {
            contain::fault_point("plugin", Some(&p.name), target);
            call()
        },
    )?
    .map_err(|e| plugins::failure_to_error(&e, Some(target)))
}

/// Reads at most `limit` bytes of `file`: `None` when it holds more. The
/// size is checked before anything parses (or plugins copy) the text, and
/// the read itself stops at the limit in case the file grows meanwhile.
fn read_limited(file: &std::path::Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let f = std::fs::File::open(file)?;
    let len = f.metadata()?.len();
    if len > limit {
        return Ok(None);
    }
    // Sized from the metadata (+1 to see the end without growing): one
    // read for a file that did not change, not a doubling series.
    let mut bytes = Vec::with_capacity(len as usize + 1);
    f.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// What a run checks and how: `plimsoll check` and `plimsoll pin` differ only
/// in these.
pub struct Plan<'a> {
    pub paths: &'a [PathBuf],
    /// Images to check (`--image`); with none, no SBOMs and no paths, `.`
    /// is searched.
    pub images: &'a [String],
    /// SBOMs to scan (`--sbom FILE`, or Grype's `--image sbom:FILE`).
    pub sboms: &'a [PathBuf],
    /// `--platform` for multi-platform images.
    pub platform: Option<&'a str>,
    pub output: &'a OutputArgs,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// `Some(unsafe_fixes)` to fix.
    pub fix: Option<bool>,
    pub exclude: &'a [String],
    /// `--kind`: the kinds of file a directory search reads.
    pub kinds: &'a [plimsoll_config::TargetKind],
    /// Merged over `[pin]`.
    /// Merged over built-ins' tables: `{"pin": {...}, "scan": {...}}`.
    pub overrides: Option<serde_json::Value>,
    /// Registry failures are run errors (exit 3).
    pub registry_fatal: bool,
    /// Only these built-in plugins run (no config plugins).
    pub only_plugins: Option<&'static [&'static str]>,
    /// Ask registries what tags point to now (the cache still serves
    /// digests, and `--offline`).
    pub fresh_tags: bool,
    /// The fail level when neither `--fail-on` nor the config sets one.
    pub default_fail_on: Option<FailOn>,
    /// With PATH `-`: the name the Dockerfile read from stdin is shown as,
    /// and where its config is looked for.
    pub stdin_filename: Option<&'a Path>,
    /// `--diff`: print the fixes as a unified diff instead of writing them
    /// (and instead of the findings).
    pub diff: bool,
}

/// What checking one file produced.
#[derive(Default)]
struct FileResult {
    path: String,
    text: Option<String>,
    /// The text before fixes, when fixes changed it (for `--diff`).
    original: Option<String>,
    findings: Vec<Finding>,
    errors: Vec<RunError>,
    suppressed: usize,
    fixed: usize,
    /// The findings whose fixes were applied, as they were reported.
    applied: Vec<Finding>,
    /// The transcripts of the plugin calls behind `findings` (a Dockerfile
    /// checked without fixes); `None`: an answer the whole-file result
    /// cache does not keep.
    asked: Option<Vec<plimsoll_host::Transcript>>,
    /// The human report's blocks for `findings`.
    human: Option<Blocks>,
    /// The JSON document's elements for `findings`.
    json: Option<Blocks>,
}

/// Targets from which the pooling allocator pays for its set-up (measured:
/// ~8 ms to set up, ~0.1 ms saved per instance, two built-in plugins).
const POOLING_FROM_TARGETS: usize = 40;

pub fn new_host(
    global: &GlobalArgs,
    services: plimsoll_host::Services,
    targets: usize,
) -> Result<Host, anyhow::Error> {
    Host::new(plimsoll_host::HostConfig {
        cache_dir: global.cache_root(),
        now: std::env::var("PLIMSOLL_NOW")
            .ok()
            .and_then(|s| s.parse().ok()),
        services,
        pooling: targets >= POOLING_FROM_TARGETS,
    })
    .map_err(|e| anyhow::anyhow!("cannot start the plugin runtime: {e}"))
}

/// How to set up an [`Engine`]; `Default` is what `plimsoll check` does.
#[derive(Default)]
pub struct EngineOptions<'a> {
    pub select: &'a [String],
    pub ignore: &'a [String],
    pub overrides: Option<&'a serde_json::Value>,
    pub registry_fatal: bool,
    pub only_plugins: Option<&'a [&'a str]>,
    pub fresh_tags: bool,
    /// How many targets will be checked, or at least (the instance
    /// allocator is pooled from [`POOLING_FROM_TARGETS`]).
    pub targets: usize,
    /// A checking run: built-ins that would report nothing are not loaded.
    pub for_checking: bool,
    /// The run checks images (`--image`).
    pub images: bool,
}

/// Loads config and plugins; errors in the config are usage errors (exit 2).
pub fn engine(
    global: &GlobalArgs,
    cfg: &LoadedConfig,
    o: &EngineOptions,
) -> anyhow::Result<(Engine, Vec<RunError>)> {
    let (select, ignore) = (o.select, o.ignore);
    let mut registry_options = crate::registry::options(global, cfg);
    if o.fresh_tags {
        registry_options.tag_ttl = std::time::Duration::ZERO;
    }
    let mut services = RunServices::new(registry_options, o.registry_fatal);
    if let Some(db) = crate::vulndb::open(global, cfg, o.images) {
        services = services.with_vulndb(db);
    }
    let services = Arc::new(services);
    let host = new_host(global, services.host_services(), o.targets)?;
    let (specs, mut errors, inert) = plugins::specs_with_inert(
        cfg,
        &services,
        o.overrides,
        o.only_plugins,
        o.for_checking.then_some(o.images),
    );
    // Built-ins whose rules the selection turns all off are not loaded when
    // their rules are known from an earlier run and they have no settings to
    // validate (`--select lint` does not load `pin`).
    let selection = Selection::new(cfg, select, ignore);
    let rule_cache = crate::result_cache::RuleCache::new(global.cache_root().as_deref(), &host);
    let mut idle_rules: Vec<RuleInfo> = Vec::new();
    // Built-ins loaded without their rules in the cache: remembered below.
    let mut unknown_rules: Vec<(String, &'static str)> = Vec::new();
    // Each plugin to run, with its component's sha256 and rules when it is a
    // built-in whose rules the rule cache knows.
    type Known = Option<(&'static str, Vec<RuleInfo>)>;
    let specs: Vec<(plimsoll_host::PluginSpec, Known)> = specs
        .into_iter()
        .filter_map(|spec| {
            let plimsoll_host::PluginSource::Builtin(_, sha) = spec.source else {
                return Some((spec, None));
            };
            let Some(rules) = rule_cache.get(&host, sha) else {
                unknown_rules.push((spec.name.clone(), sha));
                return Some((spec, None));
            };
            let no_settings = spec.settings.as_object().is_some_and(|o| o.is_empty());
            if no_settings && !rules.iter().any(|r| selection.enabled(r)) {
                tracing::debug!(plugin = %spec.name, "not loaded: none of its rules is selected");
                idle_rules.extend(rules);
                return None;
            }
            Some((spec, Some((sha, rules))))
        })
        .collect();
    // A checking run with the result cache, of built-ins whose rules are
    // known, loads them when a target first needs them (see `loading`).
    let deferrable = o.for_checking
        && !o.images
        && !global.no_result_cache
        && global.cache_root().is_some()
        && specs.iter().all(|(_, known)| known.is_some());
    let (run_plugins, plugin_rules) = match deferrable {
        true => {
            let waiting: Vec<_> = specs
                .into_iter()
                .filter_map(|(spec, known)| known.map(|(sha, rules)| (spec, sha, rules)))
                .collect();
            let rules: Vec<RuleInfo> = waiting
                .iter()
                .flat_map(|(.., rules)| rules.iter().cloned())
                .collect();
            (loading::RunPlugins::deferred(waiting, cfg), rules)
        }
        false => {
            let specs: Vec<_> = specs.into_iter().map(|(s, _)| s).collect();
            let (loaded, load_errors) = plugins::load(&host, &specs, cfg);
            errors.extend(load_errors);
            for (name, sha) in unknown_rules {
                if let Some(p) = loaded.iter().find(|p| p.name == name) {
                    rule_cache.put(&host, sha, &p.rules);
                }
            }
            let rules = loaded
                .iter()
                .flat_map(|p| p.rules.iter().cloned())
                .collect();
            (loading::RunPlugins::loaded(loaded), rules)
        }
    };
    let mut rules: HashMap<String, RuleInfo> = plugins::host_rules()
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    for r in plugin_rules {
        rules.insert(r.id.clone(), r);
    }
    let mut all: Vec<RuleInfo> = rules.values().cloned().collect();
    all.extend(idle_rules);
    let mut unknown = selection.unknown_selectors(&all);
    if !unknown.is_empty() && !inert.is_empty() {
        // A selector may name a rule of a built-in this config leaves idle
        // (`--select PL7001` without sign-verify policies): load those for
        // their metadata only.
        let (idle, _) = plugins::load(&host, &inert, cfg);
        all.extend(idle.iter().flat_map(|p| p.rules.iter().cloned()));
        unknown = selection.unknown_selectors(&all);
    }
    all.sort_by(|a, b| a.id.cmp(&b.id));
    // A plugin that failed to load takes its rule ids with it; its load error
    // (exit 3) is the news, not the selector.
    let failed_plugins = errors.iter().any(|e| e.plugin.is_some());
    if let Some((s, hint)) = unknown.into_iter().next().filter(|_| !failed_plugins) {
        let help = hint
            .map(|h| format!(" (did you mean `{h}`?)"))
            .unwrap_or_default();
        return Err(UsageError(format!(
            "unknown rule selector `{s}`{help}; see `plimsoll rules` for ids, peer ids and plugin names"
        ))
        .into());
    }
    let unimplemented = selection.unimplemented_peer_ids(&all);
    if !unimplemented.is_empty() && !failed_plugins {
        let from = cfg
            .path
            .as_deref()
            .map(|p| format!(" (in {})", p.display()))
            .unwrap_or_default();
        crate::diag!(
            "warning: ignoring rule ids plimsoll does not implement{from}: {}",
            unimplemented.join(", ")
        );
    }
    let results = crate::result_cache::ResultCache::new(
        global.cache_root().as_deref(),
        !global.no_result_cache,
        &host,
    );
    let inline_ignores = cfg.config.inline_ignores.unwrap_or(true);
    Ok((
        Engine {
            host,
            plugins: run_plugins,
            rules,
            selection,
            services,
            platform: None,
            max_file_bytes: cfg.config.limits.max_file_bytes(),
            inline_ignores,
            diff_only: false,
            kubernetes_files: Default::default(),
            manifest_options: plimsoll_manifests::Options {
                crd_images: cfg.config.targets.crd_images,
            },
            results,
            files: Default::default(),
            answering: Vec::new(),
            human: None,
            json: false,
            sources_shown: true,
        },
        errors,
    ))
}

impl Engine {
    /// Reads what an earlier run over the same `targets` with the same
    /// configuration reported for each file (the whole-file result cache),
    /// and sets whether this run also writes the per-plugin layer
    /// ([`crate::result_cache::PER_PLUGIN_ENTRIES_UP_TO`]).
    pub fn use_file_results(&mut self, targets: &[String]) {
        self.results.write_for(targets.len());
        let running = self.plugins.running_identities(&self.selection);
        self.answering = running.iter().map(|p| p.name.to_string()).collect();
        self.files = crate::result_cache::FileCache::new(
            &self.results,
            &self.host,
            &running,
            &self.selection.identity(),
            self.inline_ignores,
            targets,
        );
    }

    /// The run's plugins, loaded first if they wait.
    pub fn plugins(&self) -> &[Arc<Plugin>] {
        &self.plugins.get(&self.host).plugins
    }

    /// The plugins a file is checked with: those with a selected rule.
    fn running(&self) -> impl Iterator<Item = &Arc<Plugin>> {
        self.plugins()
            .iter()
            .filter(|p| p.rules.iter().any(|r| self.selection.enabled(r)))
    }

    /// Runs every plugin on one parsed file; filters and re-levels the findings.
    fn findings_for(
        &self,
        doc: &Dockerfile,
        path: &str,
        errors: &mut Vec<RunError>,
        asked: &mut Vec<plimsoll_host::Transcript>,
    ) -> (Vec<Finding>, usize) {
        let mut raw = Vec::new();
        for p in self.running() {
            let key = self.results.key(p, path, doc.text.as_bytes());
            let registry = self.services.registry();
            let call = || match key
                .as_deref()
                .and_then(|k| self.results.get(&self.host, k, registry))
            {
                Some(cached) => {
                    tracing::debug!(plugin = %p.name, path, "result cache hit");
                    Ok(cached)
                }
                None => {
                    let (found, asked) = self.host.check_dockerfile_transcribed(p, doc, path)?;
                    if let Some(k) = &key {
                        tracing::debug!(plugin = %p.name, path, "result cache miss");
                        self.results.put(&self.host, k, &found, &asked);
                    }
                    Ok((found, asked))
                }
            };
            match call_plugin(p, path, call) {
                Ok((f, a)) => {
                    raw.extend(f);
                    asked.push(a);
                }
                Err(e) => errors.push(e),
            }
        }
        let sup = Suppressions::from_dockerfile(doc, self.inline_ignores);
        raw.extend(self.disallowed_pragmas(&sup, path, &doc.text));
        let mut kept = Vec::new();
        let mut suppressed = 0;
        for f in raw {
            self.keep(
                f,
                path,
                |f, rule| sup.covers(f, rule),
                &mut kept,
                &mut suppressed,
            );
        }
        // Ignore comments that suppressed nothing (ruff's RUF100), judged
        // only for rules that ran in this run, of plugins whose answers do not
        // hang on a registry or a database (offline, or with one unreachable,
        // their findings may be missing for reasons that are not the
        // Dockerfile's).
        let judged = |sel: &str| {
            self.rules.values().any(|r| {
                self.plugins
                    .get(&self.host)
                    .self_contained
                    .contains(&r.plugin)
                    && crate::select::matches(sel, r)
                    && self.selection.enabled(r)
            })
        };
        for (sel, range) in sup.unused(judged) {
            let Some(mut f) = self.host_finding(
                "PL0003",
                path,
                &doc.text,
                range,
                format!("`{sel}` in this ignore comment suppresses nothing: no finding of it is here; remove it"),
            ) else {
                continue;
            };
            let Some(rule) = self.rules.get("PL0003") else {
                continue;
            };
            if let Some(level) = self.selection.decide(rule, f.level, path) {
                f.level = level;
                kept.push(f);
            }
        }
        (kept, suppressed)
    }

    /// With `inline-ignores = false`, a PL0002 finding per ignore comment.
    fn disallowed_pragmas(&self, sup: &Suppressions, path: &str, text: &str) -> Vec<Finding> {
        if self.inline_ignores {
            return Vec::new();
        }
        sup.pragmas
            .iter()
            .filter_map(|&range| {
                self.host_finding(
                    "PL0002",
                    path,
                    text,
                    range,
                    "inline ignore comments are not allowed here (`inline-ignores = false`); this one suppresses nothing".into(),
                )
            })
            .collect()
    }

    /// A plugin's finding through the selection: dropped when its rule is
    /// unknown or not selected; counted as suppressed when an ignore comment
    /// (`covered`) or the config turns it off for `path`; else kept at the
    /// level the config gives it.
    fn keep(
        &self,
        mut f: Finding,
        path: &str,
        covered: impl Fn(&Finding, &RuleInfo) -> bool,
        kept: &mut Vec<Finding>,
        suppressed: &mut usize,
    ) {
        let Some(rule) = self.rules.get(&f.rule_id) else {
            return;
        };
        if !self.selection.selected(rule) {
            return;
        }
        if covered(&f, rule) {
            *suppressed += 1;
            return;
        }
        match self.selection.decide(rule, f.level, path) {
            Some(level) => {
                f.level = level;
                kept.push(f);
            }
            None => *suppressed += 1,
        }
    }

    fn syntax_finding(
        &self,
        path: &str,
        text: &str,
        e: &plimsoll_dockerfile::ParseError,
    ) -> Option<Finding> {
        let rule = self.rules.get("PL0001")?;
        let level = self.selection.decide(rule, rule.default_level, path)?;
        let mut f = self.host_finding(
            "PL0001",
            path,
            text,
            (e.span.start, e.span.end),
            format!("BuildKit cannot parse this Dockerfile: {}", e.message),
        )?;
        f.level = level;
        Some(f)
    }

    /// A finding of one of the host's own rules at a byte range of `text`, at
    /// the rule's default level (selection applies later, as for plugins').
    fn host_finding(
        &self,
        rule_id: &str,
        path: &str,
        text: &str,
        (start, end): (usize, usize),
        message: String,
    ) -> Option<Finding> {
        let rule = self.rules.get(rule_id)?;
        let idx = plimsoll_dockerfile::LineIndex::new(text);
        let pos = |o: usize| {
            let p = idx.position(text, o.min(text.len()));
            Position {
                line: p.line,
                column: p.column,
                offset: p.offset,
            }
        };
        Some(Finding {
            rule_id: rule.id.clone(),
            rule_name: rule.name.clone(),
            plugin: rule.plugin.clone(),
            level: rule.default_level,
            message,
            location: Location::File {
                path: path.to_string(),
                region: Region {
                    start: pos(start),
                    end: pos(end),
                },
            },
            aliases: rule.aliases.clone(),
            covers: None,
            tags: rule.tags.clone(),
            fixes: vec![],
            security_severity: None,
            help_uri: Some(rule.help_uri()),
            properties: None,
        })
    }

    /// Opens an image's layers (for plugins granted `image`).
    fn open_image(&self, reference: &str) -> Result<Arc<plimsoll_oci::Image>, RunError> {
        let started = std::time::Instant::now();
        let image = self
            .services
            .registry()
            .open_image(reference, self.platform.as_ref())
            .map_err(|e| RunError {
                kind: e.kind().to_string(),
                plugin: None,
                target: Some(reference.to_string()),
                message: format!("cannot read image {reference}: {e}"),
                line: None,
            })?;
        tracing::info!(
            "opened {reference}: {} layers, {} entries in {:.1} ms",
            image.layers.len(),
            image.fs.entries.len(),
            started.elapsed().as_secs_f64() * 1000.0
        );
        Ok(Arc::new(image))
    }

    /// Resolves one `--image` reference and runs every image-checking plugin
    /// on it. An image that cannot be resolved or read is a run error (exit
    /// 3): it was not checked.
    fn check_image(&self, reference: &str) -> FileResult {
        use plimsoll_host::RegistryService;
        let mut res = FileResult {
            path: reference.to_string(),
            ..Default::default()
        };
        let runs: Vec<&Arc<Plugin>> = self
            .plugins()
            .iter()
            .filter(|p| checks_images(p) && p.rules.iter().any(|r| self.selection.enabled(r)))
            .collect();
        let local = !matches!(
            plimsoll_oci::ImageSource::parse(reference),
            plimsoll_oci::ImageSource::Registry(_)
        );
        // Layers are read only when a plugin will look at them, or when the
        // image is local (its digest comes from reading it).
        let mut opened = None;
        if local || runs.iter().any(|p| p.reads_images) {
            match self.open_image(reference) {
                Ok(i) => opened = Some(i),
                Err(e) => {
                    res.errors.push(e);
                    return res;
                }
            }
        }
        let image = match (&opened, local) {
            (Some(i), true) => plimsoll_host::ImageTarget {
                reference: reference.to_string(),
                canonical: reference.to_string(),
                digest: i.manifest_digest.clone(),
            },
            _ => match self.services.registry().resolve(reference) {
                Ok(r) => plimsoll_host::ImageTarget {
                    reference: reference.to_string(),
                    canonical: r.canonical,
                    digest: r.digest,
                },
                Err(e) => {
                    res.errors.push(RunError {
                        kind: "image-unavailable".into(),
                        plugin: None,
                        target: Some(reference.to_string()),
                        message: format!("cannot check image {reference}: {e}"),
                        line: None,
                    });
                    return res;
                }
            },
        };
        let inventory = Arc::new(std::sync::OnceLock::new());
        let views = runs
            .iter()
            .map(|p| {
                opened.clone().filter(|_| p.reads_images).map(|i| {
                    Arc::new(plimsoll_services::View::new(i, inventory.clone()))
                        as Arc<dyn plimsoll_host::ImageView>
                })
            })
            .collect();
        self.run_image_plugins(&runs, &image, views, &mut res);
        res
    }

    /// `check --sbom FILE`: the plugins that read packages (the scan) run
    /// on what the SBOM lists, as they would on the image it describes.
    fn check_sbom(&self, path: &std::path::Path) -> FileResult {
        let file = display_path(path);
        let file = file.as_str();
        let mut res = FileResult {
            path: file.to_string(),
            ..Default::default()
        };
        let error = |kind: &str, message: String| RunError {
            kind: kind.into(),
            plugin: None,
            target: Some(file.to_string()),
            message,
            line: None,
        };
        let text = match crate::check::read_sbom_file(file) {
            Ok(b) => b,
            Err(message) => {
                res.errors.push(error("target-unreadable", message));
                return res;
            }
        };
        let sbom = match plimsoll_packages::sbom::read(&String::from_utf8_lossy(&text)) {
            Ok(s) => s,
            Err(e) => {
                res.errors.push(error(
                    "invalid-sbom",
                    format!("{file} is not an SBOM plimsoll reads: {e}"),
                ));
                return res;
            }
        };
        tracing::info!(
            "{file}: {}, {} packages ({} components without a package URL left out)",
            sbom.format,
            sbom.inventory.packages.len(),
            sbom.skipped
        );
        let runs: Vec<&Arc<Plugin>> = self
            .plugins()
            .iter()
            .filter(|p| {
                checks_images(p)
                    && p.reads_packages
                    && p.rules.iter().any(|r| self.selection.enabled(r))
            })
            .collect();
        let image = plimsoll_host::ImageTarget {
            reference: file.to_string(),
            canonical: sbom.subject.clone().unwrap_or_else(|| file.to_string()),
            digest: sbom.digest.clone().unwrap_or_else(|| {
                use sha2::Digest;
                format!("sha256:{}", hex::encode(sha2::Sha256::digest(&text)))
            }),
        };
        let inventory = Arc::new(sbom.inventory);
        let views = runs
            .iter()
            .map(|_| {
                Some(Arc::new(plimsoll_services::SbomView(inventory.clone()))
                    as Arc<dyn plimsoll_host::ImageView>)
            })
            .collect();
        self.run_image_plugins(&runs, &image, views, &mut res);
        res
    }

    fn run_image_plugins(
        &self,
        runs: &[&Arc<Plugin>],
        image: &plimsoll_host::ImageTarget,
        views: Vec<Option<Arc<dyn plimsoll_host::ImageView>>>,
        res: &mut FileResult,
    ) {
        let reference = image.reference.as_str();
        for (p, view) in runs.iter().zip(views) {
            match call_plugin(p, reference, || self.host.check_image(p, image, view)) {
                Ok(found) => {
                    for f in found {
                        self.keep(
                            f,
                            reference,
                            |_, _| false,
                            &mut res.findings,
                            &mut res.suppressed,
                        );
                    }
                }
                Err(e) => res.errors.push(e),
            }
        }
    }

    /// The human report's blocks for a file's findings (in report order),
    /// when the run writes one.
    fn human_blocks(&self, path: &str, text: &str, findings: &[Finding]) -> Option<Blocks> {
        let opts = self.human.as_ref()?;
        Some(plimsoll_report::human::target_blocks(
            path,
            Some(text),
            findings,
            opts,
        ))
    }

    /// The JSON document's elements for a file's findings (in report
    /// order), when the run writes one.
    fn json_blocks(&self, findings: &[Finding]) -> Option<Blocks> {
        self.json
            .then(|| plimsoll_report::json::target_blocks(findings))
    }

    /// The renderings of a cached answer's findings this run writes: the
    /// ones kept with it, the others rendered now (from `text`, for the
    /// human blocks) and kept with it for the next run.
    fn renderings(
        &self,
        path: &str,
        text: Option<&str>,
        hit: &mut crate::result_cache::FileAnswer,
    ) {
        let human = match (&hit.human, text) {
            (None, Some(text)) => self.human_blocks(path, text, &hit.findings),
            _ => None,
        };
        let json = match &hit.json {
            None => self.json_blocks(&hit.findings),
            Some(_) => None,
        };
        match (&human, &hit.human) {
            (Some(_), _) => tracing::debug!(path, "human blocks rendered for the result cache"),
            (None, Some(_)) => tracing::debug!(path, "human blocks from the result cache"),
            (None, None) => {}
        }
        match &json {
            Some(_) => tracing::debug!(path, "JSON elements rendered for the result cache"),
            None if self.json => tracing::debug!(path, "JSON elements from the result cache"),
            None => {}
        }
        if human.is_some() || json.is_some() {
            self.files.keep_blocks(path, human.as_ref(), json.as_ref());
        }
        hit.human = hit.human.take().or(human);
        hit.json = hit.json.take().or(json);
    }

    /// Checks one file, fixing it first when asked.
    fn check_file(&self, file: &std::path::Path, fix_mode: Option<bool>) -> FileResult {
        let path = display_path(file);
        let kubernetes = self.kubernetes_files.contains(&path);
        let human_tag = self.human.as_ref().map(|o| o.blocks_tag());
        // Taken before the file is read: a write after it changes it.
        let stat = (fix_mode.is_none() && self.files.enabled())
            .then(|| std::fs::metadata(file).ok())
            .flatten()
            .filter(|m| m.len() <= self.max_file_bytes)
            .and_then(|m| self.files.stat_key(&path, kubernetes, &m));
        // Unchanged since its answer was kept, and nothing of the report
        // needs its text: not read at all (see the result cache's `StatKey`).
        if let Some(stat) = stat.filter(|_| !self.sources_shown)
            && let Some(mut hit) = self.files.get(
                &path,
                Lookup::Stat(stat),
                self.services.registry(),
                human_tag,
            )
            && (human_tag.is_none() || hit.human.is_some())
        {
            for plugin in &self.answering {
                tracing::debug!(plugin, path, read = false, "result cache hit (whole file)");
            }
            self.renderings(&path, None, &mut hit);
            return FileResult {
                path,
                text: hit.text,
                findings: hit.findings,
                suppressed: hit.suppressed,
                human: hit.human,
                json: hit.json,
                ..Default::default()
            };
        }
        let bytes = match self.read_target(&path, read_limited(file, self.max_file_bytes)) {
            Ok(bytes) => bytes,
            Err(res) => return *res,
        };
        if fix_mode.is_some() {
            return self.check_bytes(
                path,
                bytes,
                fix_mode.map(|u| (u, (!self.diff_only).then_some(file))),
            );
        }
        let Some(key) = self.files.file_key(&path, kubernetes, &bytes) else {
            return self.check_bytes(path, bytes, None);
        };
        if let Some(mut hit) = self.files.get(
            &path,
            Lookup::Bytes(&key, stat),
            self.services.registry(),
            human_tag,
        ) {
            for plugin in &self.answering {
                tracing::debug!(plugin, path, "result cache hit (whole file)");
            }
            let text = hit
                .text
                .take()
                .or_else(|| String::from_utf8(bytes).ok())
                .unwrap_or_default();
            // Kept with the answer when rendered with this run's options
            // (`get` checks); else rendered now, and kept for the next run.
            self.renderings(&path, Some(&text), &mut hit);
            return FileResult {
                path,
                text: Some(text),
                findings: hit.findings,
                suppressed: hit.suppressed,
                human: hit.human,
                json: hit.json,
                ..Default::default()
            };
        }
        let mut res = self.check_bytes(path, bytes.clone(), None);
        if let Some(asked) = &res.asked
            && res.errors.is_empty()
        {
            let text = res
                .text
                .take()
                .unwrap_or_else(|| String::from_utf8(bytes.clone()).unwrap_or_default());
            // Kept in report order: a re-run's findings then need no sort
            // (a stable sort of each file's findings, then of all, is the
            // stable sort of all).
            let mut findings = std::mem::take(&mut res.findings);
            findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
            // Kept without their renderings: the report renders them on
            // every core, and the next run that finds the file unchanged
            // adds them (`renderings`). Rendered here for the cache too,
            // they cost a first run over the corpus 10% of its time and
            // 5-20 MiB (human, JSON) that a run in a fresh CI job never
            // gets back.
            let answer = crate::result_cache::FileAnswer {
                human: None,
                json: None,
                findings,
                suppressed: res.suppressed,
                text: (text.as_bytes() != bytes.as_slice()).then(|| text.clone()),
            };
            self.files.put(&res.path, &key, stat, &answer, asked);
            res.findings = answer.findings;
            res.text = Some(text);
        }
        res
    }

    /// The bytes read for a target, or the result that says why there are none.
    fn read_target(
        &self,
        path: &str,
        read: std::io::Result<Option<Vec<u8>>>,
    ) -> Result<Vec<u8>, Box<FileResult>> {
        let path = path.to_string();
        let mut res = FileResult {
            path: path.clone(),
            ..Default::default()
        };
        match read {
            Ok(Some(b)) => Ok(b),
            Ok(None) => {
                res.errors.push(RunError {
                    kind: "target-too-large".into(),
                    plugin: None,
                    target: Some(path.clone()),
                    message: format!(
                        "{path} is larger than {} MiB, the most plimsoll reads of one Dockerfile; raise `[limits] max-file-mib` in plimsoll.toml if it really is one",
                        self.max_file_bytes >> 20
                    ),
                    line: None,
                });
                Err(Box::new(res))
            }
            Err(e) => {
                res.errors.push(RunError {
                    kind: "target-unreadable".into(),
                    plugin: None,
                    target: Some(path.clone()),
                    message: format!("cannot read {path}: {e}"),
                    line: None,
                });
                Err(Box::new(res))
            }
        }
    }

    /// Checks a Dockerfile's bytes; `fix`: (unsafe fixes too, the file to
    /// write them to, `None` to only compute them for `--diff`).
    fn check_bytes(
        &self,
        path: String,
        bytes: Vec<u8>,
        fix: Option<(bool, Option<&std::path::Path>)>,
    ) -> FileResult {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(&path);
        let mut res = FileResult {
            path: path.clone(),
            ..Default::default()
        };
        if self.kubernetes_files.contains(&path) {
            return self.check_manifest_bytes(
                plimsoll_manifests::Kind::Kubernetes,
                path,
                bytes,
                fix,
            );
        }
        if !crate::discover::is_dockerfile_name(name) {
            if let Some(kind) = manifests::kind_of(&path, &bytes) {
                return self.check_manifest_bytes(kind, path, bytes, fix);
            }
            if plimsoll_manifests::may_be_manifest(&path) {
                res.errors.push(RunError {
                    kind: "unknown-target".into(),
                    plugin: None,
                    target: Some(path.clone()),
                    message: format!(
                        "{path} is neither a Dockerfile nor a manifest plimsoll reads (a compose file, a Kubernetes manifest, a GitHub workflow, a GitLab CI file, a devcontainer.json): nothing in it was checked"
                    ),
                    line: None,
                });
                return res;
            }
        }
        let mut doc = match Dockerfile::parse_bytes(&bytes) {
            Ok(d) => d,
            Err(e) => {
                let text =
                    String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
                        .into_owned();
                res.findings.extend(self.syntax_finding(&path, &text, &e));
                res.text = Some(text);
                res.asked = Some(Vec::new());
                return res;
            }
        };
        let mut errors = Vec::new();
        let mut asked = Vec::new();
        (res.findings, res.suppressed) = self.findings_for(&doc, &path, &mut errors, &mut asked);
        res.errors = errors;
        res.asked = Some(asked);
        if let Some((unsafe_fixes, file)) = fix
            && doc.valid_utf8
        {
            let bom = doc.had_bom;
            doc = self.fix_rounds(
                &path,
                doc,
                |d| &d.text,
                |old, text| {
                    Dockerfile::parse(&text)
                        .map(|d| Dockerfile {
                            had_bom: old.had_bom,
                            ..d
                        })
                        .map_err(|e| format!("the result would not parse ({e})"))
                },
                |d, errors| self.findings_for(d, &path, errors, &mut Vec::new()),
                unsafe_fixes,
                file.map(|f| (f, bom)),
                &mut res,
            );
        }
        res.text = Some(doc.text);
        res
    }

    /// `--fix` on one text target (a Dockerfile, a manifest): applies the
    /// chosen fixes round by round (at most 10), each result re-read by
    /// `reread` (its error says why the fixes are refused) and checked again
    /// by `check`; `res` ends with the last round's findings, what was fixed
    /// and the original text when it changed, which is written to `write`'s
    /// file (with a BOM when it had one).
    #[allow(clippy::too_many_arguments)]
    fn fix_rounds<T>(
        &self,
        path: &str,
        mut target: T,
        text: impl Fn(&T) -> &str,
        reread: impl Fn(&T, String) -> Result<T, String>,
        check: impl Fn(&T, &mut Vec<RunError>) -> (Vec<Finding>, usize),
        unsafe_fixes: bool,
        write: Option<(&std::path::Path, bool)>,
        res: &mut FileResult,
    ) -> T {
        let original = text(&target).to_string();
        for _round in 0..10 {
            let (edits, chosen) = fix::choose_edits(&res.findings, unsafe_fixes);
            if edits.is_empty() {
                break;
            }
            let Some(new_text) = fix::apply(text(&target), &edits) else {
                break;
            };
            let next = match reread(&target, new_text) {
                Ok(t) => t,
                Err(why) => {
                    res.errors.push(RunError {
                        kind: "fix-refused".into(),
                        plugin: None,
                        target: Some(path.to_string()),
                        message: format!("fixes for {path} were not applied: {why}"),
                        line: None,
                    });
                    break;
                }
            };
            res.fixed += chosen.len();
            res.applied
                .extend(chosen.iter().map(|&i| res.findings[i].clone()));
            target = next;
            res.errors.clear();
            (res.findings, res.suppressed) = check(&target, &mut res.errors);
        }
        if text(&target) != original {
            if let Some((file, bom)) = write {
                res.errors
                    .extend(fix::write_fixed(file, path, bom, text(&target)));
            }
            res.original = Some(original);
        }
        target
    }
}

/// Whether a loaded plugin has image rules: it exports `image-check`, and,
/// for a built-in, declares image checks (the SDK exports an empty
/// `image-check` from every Rust plugin). Config plugins cannot take a
/// built-in's name.
fn checks_images(p: &Plugin) -> bool {
    p.checks_images && plimsoll_builtins::get(&p.name).is_none_or(|b| b.checks_images)
}

/// One thing a run checks.
enum Target<'a> {
    File(&'a PathBuf),
    /// A Dockerfile read from stdin (`check -`), under the name it is shown as.
    Stdin(&'a str, &'a [u8]),
    Image(&'a str),
    Sbom(&'a PathBuf),
}

/// `--diff`: the fixes as unified diffs on stdout (as `diff -u` and ruff
/// print them), then how many files would change. Exit 1 when a file would,
/// 3 when a check could not run, else 0.
fn print_diffs(diffs: &[(String, String, String)], report: &Report) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let mut out = output::Guarded::stdout();
    for (path, before, after) in diffs {
        let diff = similar::TextDiff::from_lines(before.as_str(), after.as_str());
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{path}"), &format!("b/{path}"))
            .to_string();
        out.write_all(text.as_bytes())?;
    }
    for e in &report.errors {
        crate::diag!("error: {}: {}", e.kind, e.message);
    }
    crate::diag!(
        "{} would be changed by fixes (nothing was written).",
        match diffs.len() {
            1 => "1 file".to_string(),
            n => format!("{n} files"),
        }
    );
    Ok(if !report.errors.is_empty() {
        ExitCode::CheckFailed
    } else if diffs.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Findings
    })
}

/// Canonical forms of directories as given, each resolved from its
/// parent's: a directory that is not a link is its canonical parent joined
/// with its name, one `lstat` where `canonicalize` asks `readlink` of every
/// component of the path (three for `/tmp/tree/dir`, each time).
#[derive(Default)]
struct CanonicalDirs(HashMap<PathBuf, Option<PathBuf>>);

impl CanonicalDirs {
    fn of(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(known) = self.0.get(dir) {
            return known.clone();
        }
        let resolved = match (dir.parent(), dir.components().next_back()) {
            (Some(parent), Some(std::path::Component::Normal(name)))
                if !parent.as_os_str().is_empty() =>
            {
                match std::fs::symlink_metadata(dir) {
                    Ok(m) if m.is_dir() => self.of(parent).map(|p| p.join(name)),
                    Ok(_) => dir.canonicalize().ok(),
                    Err(_) => None,
                }
            }
            _ if dir.as_os_str().is_empty() => Path::new(".").canonicalize().ok(),
            _ => dir.canonicalize().ok(),
        };
        self.0.insert(dir.to_path_buf(), resolved.clone());
        resolved
    }
}

/// A config (`None`: the run's own) and the files it governs.
type ConfigGroup = (Option<LoadedConfig>, Vec<PathBuf>);

/// The files of a run grouped by the config that governs them: the run's own
/// config first (with every file no nested plimsoll.toml claims), then one
/// group per nested plimsoll.toml, in path order. A nested config's `exclude`
/// applies to the files under it.
fn group_by_config(
    explicit: bool,
    cfg: &LoadedConfig,
    files: Vec<PathBuf>,
    symlinks: &std::collections::HashSet<PathBuf>,
) -> Result<Vec<ConfigGroup>, UsageError> {
    if explicit {
        return Ok(vec![(None, files)]);
    }
    let root_path = cfg.path.as_ref().and_then(|p| p.canonicalize().ok());
    // Files of one directory share their closest config, and directories
    // their parent's when they have none: each looked up once.
    let mut closest_in = plimsoll_config::ClosestConfigs::default();
    let mut nested: BTreeMap<PathBuf, Vec<(PathBuf, PathBuf)>> = BTreeMap::new();
    let mut own = Vec::new();
    let mut canonical_dirs = CanonicalDirs::default();
    for f in files {
        let canonical = match (f.parent(), f.file_name()) {
            // A symbolic link is governed from where it points.
            // (Discovery says which files are links: no `lstat` per file.)
            (Some(dir), Some(name)) if !symlinks.contains(&f) => {
                canonical_dirs.of(dir).map(|d| d.join(name))
            }
            _ => f.canonicalize().ok(),
        };
        let Some(canonical) = canonical else {
            own.push(f);
            continue;
        };
        let closest = canonical.parent().and_then(|dir| closest_in.of(dir));
        match closest {
            Some(c) if Some(&c) != root_path.as_ref() => {
                nested.entry(c).or_default().push((f, canonical))
            }
            _ => own.push(f),
        }
    }
    let mut groups = vec![(None, own)];
    for (path, files) in nested {
        let loaded = LoadedConfig::load(&path)
            .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
        let exclude = exclude_set(&loaded.config.exclude).map_err(|e| UsageError(e.to_string()))?;
        let base = loaded.base_dir();
        let files: Vec<PathBuf> = files
            .into_iter()
            .filter(|(_, canonical)| {
                canonical
                    .strip_prefix(&base)
                    .map_or(true, |r| !exclude.is_match(r))
            })
            .map(|(f, _)| f)
            .collect();
        tracing::info!("{} files governed by {}", files.len(), path.display());
        groups.push((Some(loaded), files));
    }
    Ok(groups)
}

/// A target as runs name it (errors, the whole-file result cache).
fn describe_target(t: &Target) -> String {
    match t {
        Target::File(f) | Target::Sbom(f) => display_path(f),
        Target::Image(i) | Target::Stdin(i, _) => i.to_string(),
    }
}

/// The next targets a worker takes: a share of those left (a quarter of
/// an even share, at least one), so each worker checks runs of neighbours
/// while the run's end is still shared one target at a time. Neighbours in
/// path order are alike (the variants of one image, the services of one
/// repository), and a plugin instance remembers what it parsed for the next
/// call: taken one at a time, the two workers of a 2-core machine found 47%
/// of the corpus's RUN text already parsed; in runs, 55%.
fn claim(next: &AtomicUsize, total: usize, workers: usize) -> Option<std::ops::Range<usize>> {
    let mut start = next.load(Ordering::Relaxed);
    loop {
        if start >= total {
            return None;
        }
        let size = ((total - start) / (4 * workers)).max(1);
        match next.compare_exchange_weak(start, start + size, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => return Some(start..start + size),
            Err(now) => start = now,
        }
    }
}

/// Checks targets on every core; results keep the targets' order. A target
/// no worker returned is a run error by name, never a shorter report.
fn check_targets(
    engine: &Engine,
    targets: &[Target],
    fix_mode: Option<bool>,
) -> (Vec<FileResult>, Vec<RunError>) {
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(targets.len())
        .max(1);
    let describe = describe_target;
    let mut lost: Vec<RunError> = Vec::new();
    let mut results: Vec<(usize, FileResult)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    let claims = std::iter::from_fn(|| claim(&next, targets.len(), workers));
                    for i in claims.flatten() {
                        let target = &targets[i];
                        let name = describe(target);
                        // A panic costs this target, not the run's report.
                        let mut result = contain::contained(
                            || format!("checking {name}"),
                            None,
                            Some(&name),
                            || {
                                contain::fault_point("target", None, &name);
                                match target {
                                    Target::File(file) => engine.check_file(file, fix_mode),
                                    // Fixes of stdin are only ever shown (`--diff`).
                                    Target::Stdin(name, bytes) => engine.check_bytes(
                                        name.to_string(),
                                        bytes.to_vec(),
                                        fix_mode.filter(|_| engine.diff_only).map(|u| (u, None)),
                                    ),
                                    Target::Image(image) => engine.check_image(image),
                                    Target::Sbom(file) => engine.check_sbom(file),
                                }
                            },
                        )
                        .unwrap_or_else(|e| FileResult {
                            path: name.clone(),
                            errors: vec![e],
                            ..Default::default()
                        });
                        // In report order here, on every core: the report's
                        // sort of all findings then finds them in order.
                        result
                            .findings
                            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
                        mine.push((i, result));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(mine) => mine,
                Err(payload) => {
                    lost.push(contain::internal_error(
                        "running a worker thread".into(),
                        None,
                        None,
                        &*payload,
                    ));
                    Vec::new()
                }
            })
            .collect()
    });
    let reported: std::collections::HashSet<usize> = results.iter().map(|(i, _)| *i).collect();
    for (i, t) in targets.iter().enumerate() {
        if !reported.contains(&i) {
            let name = describe(t);
            lost.push(RunError {
                kind: "internal-error".into(),
                plugin: None,
                target: Some(name.clone()),
                message: format!("{name} was not checked: the worker checking it was lost"),
                line: None,
            });
        }
    }
    results.sort_by_key(|(i, _)| *i);
    (results.into_iter().map(|(_, r)| r).collect(), lost)
}

/// Where a run looks for its targets.
struct Search<'a> {
    paths: &'a [PathBuf],
    exclude: &'a globset::GlobSet,
    /// `check -`: one Dockerfile from stdin.
    stdin: bool,
    checks_images: bool,
    /// Targets that are not files found (images, SBOMs, stdin).
    beyond_files: usize,
}

/// The files of a run grouped by the config that governs each, and stdin's
/// bytes (`check -`); `None`: nothing to check. `tell` hears how many
/// targets the run's own config will check once there are enough to make
/// the run large (`POOLING_FROM_TARGETS`), else once they are known.
fn find_targets(
    global: &GlobalArgs,
    cfg: &LoadedConfig,
    search: &Search,
    wanted: &mut crate::discover::Wanted,
    tell: &(dyn Fn(usize) + Sync),
) -> anyhow::Result<Option<(Vec<ConfigGroup>, Vec<u8>)>> {
    let started = std::time::Instant::now();
    let beyond = search.beyond_files;
    let files = if search.stdin {
        Vec::new()
    } else {
        let found = |n: usize| {
            if n + beyond >= POOLING_FROM_TARGETS {
                tell(n + beyond)
            }
        };
        discover_counting(
            search.paths,
            search.exclude,
            &cfg.base_dir(),
            wanted,
            &found,
        )
        .map_err(|e| UsageError(e.to_string()))?
    };
    let stdin_bytes = if search.stdin {
        let mut buf = Vec::new();
        let limit = cfg.config.limits.max_file_bytes();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), limit + 1),
            &mut buf,
        )
        .map_err(|e| UsageError(format!("cannot read stdin: {e}")))?;
        if buf.len() as u64 > limit {
            return Err(UsageError(format!(
                "stdin is larger than {} MiB, the most plimsoll reads of one Dockerfile (`[limits] max-file-mib`)",
                limit >> 20
            ))
            .into());
        }
        buf
    } else {
        Vec::new()
    };
    if files.is_empty() && !search.checks_images && !search.stdin {
        return Ok(None);
    }
    // Each file is governed by the plimsoll.toml closest to it (ruff's
    // model): a service's own config applies to its Dockerfiles whatever
    // directory the run starts from. `--config` names one for everything.
    let groups = group_by_config(global.config.is_some(), cfg, files, &wanted.symlinks)?;
    tell(groups[0].1.len() + beyond);
    tracing::info!(
        "found {} targets under {} configurations in {:.1} ms",
        groups.iter().map(|(_, files)| files.len()).sum::<usize>() + beyond,
        groups.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(Some((groups, stdin_bytes)))
}

pub fn run_plan(global: &GlobalArgs, plan: Plan) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    // `check -`: one Dockerfile from stdin (editor integrations pipe the
    // buffer), governed by the config of the directory it would live in.
    let stdin = plan.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && plan.paths.len() > 1 {
        return Err(UsageError("`-` (stdin) cannot be mixed with other paths".into()).into());
    }
    if stdin && plan.fix.is_some() && !plan.diff {
        return Err(UsageError(
            "--fix writes fixes to files; it cannot fix what comes from stdin".into(),
        )
        .into());
    }
    if plan.stdin_filename.is_some() && !stdin {
        return Err(UsageError("--stdin-filename goes with the path `-` (stdin)".into()).into());
    }
    let stdin_name = plan
        .stdin_filename
        .map(display_path)
        .unwrap_or_else(|| "-".into());
    let config_dir = match plan.stdin_filename.and_then(Path::parent) {
        Some(d) if !d.as_os_str().is_empty() => cwd.join(d),
        _ => cwd.clone(),
    };
    let cfg = LoadedConfig::discover(global.config.as_deref(), &config_dir)
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    // --fail-on, then the config, then the command's default.
    let fail_level = output::fail_level(
        plan.output
            .fail_on
            .or(cfg.config.fail_on)
            .or(plan.default_fail_on),
    );
    let formats = output::formats(plan.output)?;

    let mut excludes = cfg.config.exclude.clone();
    excludes.extend(plan.exclude.iter().cloned());
    let exclude = exclude_set(&excludes).map_err(|e| UsageError(e.to_string()))?;
    let mut wanted = crate::discover::Wanted::new(
        (!plan.kinds.is_empty())
            .then(|| plan.kinds.to_vec())
            .or_else(|| cfg.config.targets.kinds.clone()),
        &cfg.config.targets.kubernetes,
    )
    .map_err(|e| UsageError(e.to_string()))?;
    let checks_images = !plan.images.is_empty() || !plan.sboms.is_empty();
    let paths = if plan.paths.is_empty() && !checks_images {
        vec![PathBuf::from(".")]
    } else {
        plan.paths.to_vec()
    };
    let targets_beyond_files = plan.images.len() + plan.sboms.len() + usize::from(stdin);
    let root_options = |targets: usize| EngineOptions {
        select: &plan.select,
        ignore: &plan.ignore,
        overrides: plan.overrides.as_ref(),
        registry_fatal: plan.registry_fatal,
        only_plugins: plan.only_plugins,
        fresh_tags: plan.fresh_tags,
        targets,
        for_checking: true,
        images: checks_images,
    };
    // The run's own config governs the first group of files whatever the
    // search finds: when there is a search to wait for (a directory, or
    // many paths), its plugins load on another core while the files are
    // found. Loading needs to know only whether the run is large (the
    // instance allocator: `POOLING_FROM_TARGETS`), told as soon as the
    // search has found that many, else when the run's own files are known.
    // A run that stops before checking (a path that does not exist, nothing
    // to check) never tells it and loads nothing; what loading would say
    // (`output::held`) is said only when its engine is used.
    let ahead = !stdin && (paths.len() >= POOLING_FROM_TARGETS || paths.iter().any(|p| p.is_dir()));
    let search = Search {
        paths: &paths,
        exclude: &exclude,
        stdin,
        checks_images,
        beyond_files: targets_beyond_files,
    };
    let (found, mut root_engine) = if ahead {
        std::thread::scope(|s| {
            let (size_tx, size_rx) = std::sync::mpsc::sync_channel::<usize>(1);
            let (cfg, root_options) = (&cfg, &root_options);
            let loading = s.spawn(move || {
                let targets = size_rx.recv().ok()?;
                Some(crate::output::held(|| {
                    engine(global, cfg, &root_options(targets))
                }))
            });
            let told = std::sync::atomic::AtomicBool::new(false);
            let tell = |targets: usize| {
                if !told.swap(true, Ordering::Relaxed) {
                    let _ = size_tx.send(targets);
                }
            };
            let found = find_targets(global, cfg, &search, &mut wanted, &tell);
            // Told or not, loading waits no longer.
            drop(size_tx);
            let loaded = loading
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (found, loaded)
        })
    } else {
        // Loaded in the loop below, as every nested config's are.
        (
            find_targets(global, &cfg, &search, &mut wanted, &|_| {}),
            None,
        )
    };
    let Some((groups, stdin_bytes)) = found? else {
        // Nothing to check is not a failure to check (as with ruff and
        // `trivy config`): say so, and still write every requested report,
        // valid and empty, so that CI steps reading them do not break.
        let shown: Vec<String> = paths.iter().map(|p| display_path(p)).collect();
        let message = format!(
            "no Dockerfiles found under {} (looked for Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*; name a file explicitly to check it whatever its name)",
            shown.join(", ")
        );
        let fail = plan.output.fail_on_empty || cfg.config.fail_on_empty;
        let code = if fail {
            crate::diag!("error: {message} (--fail-on-empty)");
            ExitCode::Usage
        } else {
            crate::diag!("warning: {message}");
            ExitCode::Ok
        };
        output::emit(&Report::default(), &formats, fail_level, code)?;
        return Ok(code);
    };
    let platform = crate::registry::parse_platform(plan.platform)?;
    let mut report = Report::default();
    let mut diffs: Vec<(String, String, String)> = Vec::new();
    let mut rules: BTreeMap<String, RuleInfo> = BTreeMap::new();
    let fix_mode = plan.fix;
    let started = std::time::Instant::now();
    let mut checked_files = 0;
    for (i, (group_cfg, group_files)) in groups.iter().enumerate() {
        let root = i == 0;
        let group_cfg = group_cfg.as_ref().unwrap_or(&cfg);
        let with_images = root && checks_images;
        let (mut engine, load_errors) = match root_engine.take().filter(|_| root) {
            Some((loaded, said)) => {
                said.iter().for_each(|m| crate::output::eprint(m));
                loaded?
            }
            None => engine(
                global,
                group_cfg,
                &EngineOptions {
                    images: with_images,
                    ..root_options(group_files.len() + if root { targets_beyond_files } else { 0 })
                },
            )?,
        };
        engine.kubernetes_files = wanted.kubernetes_files.clone();
        engine.platform = platform.clone();
        engine.diff_only = plan.diff;
        engine.human = output::human_options(&formats, fail_level);
        engine.json = output::writes_json(&formats);
        engine.sources_shown = output::shows_sources(&formats);
        if with_images && !engine.plugins().iter().any(|p| self::checks_images(p)) {
            crate::diag!(
                "plimsoll: note: no plugin checks images with this configuration: add [[sign-verify.policies]] to hold images to signature policies, or a [[plugins]] entry that exports image-check"
            );
        }
        let mut targets: Vec<Target> = group_files.iter().map(Target::File).collect();
        if root && stdin {
            targets.push(Target::Stdin(&stdin_name, &stdin_bytes));
        }
        if root {
            targets.extend(plan.images.iter().map(|i| Target::Image(i)));
            targets.extend(plan.sboms.iter().map(Target::Sbom));
        }
        if let Err(e) = engine.services.registry().validate()
            && e.kind == plimsoll_oci::ErrorKind::Config
        {
            return Err(UsageError(e.message).into());
        }
        checked_files += group_files.len();
        if fix_mode.is_none() {
            engine.use_file_results(&targets.iter().map(describe_target).collect::<Vec<_>>());
        }
        let checking = std::time::Instant::now();
        let (results, lost) = check_targets(&engine, &targets, fix_mode);
        tracing::info!(
            "checked {} targets in {:.1} ms",
            targets.len(),
            checking.elapsed().as_secs_f64() * 1000.0
        );
        // A plugin that failed to load late ran on no file: answers kept
        // under a key naming it would pass for its own.
        let late_errors = engine.plugins.take_late_errors();
        if late_errors.is_empty() {
            std::mem::take(&mut engine.files).save(&engine.host);
        }
        if !engine.plugins.were_loaded() {
            tracing::info!("no plugin loaded: every target was answered by the result cache");
        }
        report.errors.extend(load_errors);
        report.errors.extend(late_errors);
        report.errors.extend(lost);
        for r in engine.rules.values() {
            rules.entry(r.id.clone()).or_insert_with(|| r.clone());
        }
        report
            .findings
            .reserve(results.iter().map(|r| r.findings.len()).sum());
        for mut r in results {
            if let (Some(before), Some(after)) = (r.original.take(), &r.text) {
                diffs.push((r.path.clone(), before, after.clone()));
            }
            report.targets.push(r.path.clone());
            if let Some(t) = r.text {
                report.sources.insert(r.path.clone(), t);
            }
            if let Some(b) = r.human {
                report.human_blocks.insert(r.path.clone(), b);
            }
            if let Some(b) = r.json {
                report.json_blocks.insert(r.path.clone(), b);
            }
            report.findings.extend(r.findings);
            report.errors.extend(r.errors);
            report.suppressed += r.suppressed;
            report.fixed += r.fixed;
            report.applied.extend(r.applied);
        }
        report
            .errors
            .extend(engine.services.registry().take_errors());
        if let Some(s) = engine.services.registry().stats() {
            tracing::info!(
                "registry: {} HTTP requests ({} manifests, {} tokens, {} registry probes, {} tag lists, {} retries), {} cache hits",
                s.http_requests(),
                s.manifests,
                s.tokens,
                s.pings,
                s.tag_lists,
                s.retries,
                s.cache_hits
            );
        }
        if i + 1 == groups.len() {
            // The process ends soon after the last group: the OS takes back
            // its plugin runtime (instance pools, compiled code) at once,
            // where tearing it down piece by piece cost a re-run of the
            // corpus ~3 ms.
            std::mem::forget(engine);
        }
    }
    tracing::info!(
        "checked {checked_files} files and {} images under {} configurations in {:.1} ms",
        plan.images.len(),
        groups.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    report.rules = rules.into_values().collect();
    report.sort();
    if plan.diff {
        return print_diffs(&diffs, &report);
    }
    let code = output::exit_code(&report, fail_level);
    let started = std::time::Instant::now();
    output::emit(&report, &formats, fail_level, code)?;
    tracing::info!(
        "reported in {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    // Freed by the process's end (`main` exits without unwinding): freeing
    // ten thousand findings one string at a time is milliseconds for nothing.
    std::mem::forget(report);
    Ok(code)
}

/// The largest SBOM read (Syft's SPDX of a large image is tens of MB).
const MAX_SBOM: u64 = 512 << 20;

/// An SBOM file's bytes, refusing ones too large to be an SBOM.
pub fn read_sbom_file(file: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f = std::fs::File::open(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let mut data = Vec::new();
    f.take(MAX_SBOM + 1)
        .read_to_end(&mut data)
        .map_err(|e| format!("cannot read {file}: {e}"))?;
    if data.len() as u64 > MAX_SBOM {
        return Err(format!(
            "{file} is larger than {} MiB: not an SBOM plimsoll reads",
            MAX_SBOM >> 20
        ));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Workers claim every target exactly once, in runs of neighbours that
    /// shrink as the targets left do, down to one at a time at the end.
    #[test]
    fn claims_are_runs_that_shrink_to_one_and_cover_every_target() {
        for (total, workers) in [(1026, 2), (1, 2), (7, 4), (100, 1), (5000, 16)] {
            let next = AtomicUsize::new(0);
            let mut runs = Vec::new();
            while let Some(run) = claim(&next, total, workers) {
                runs.push(run);
            }
            let covered: Vec<usize> = runs.iter().cloned().flatten().collect();
            assert_eq!(covered, (0..total).collect::<Vec<_>>());
            let sizes: Vec<usize> = runs.iter().map(|r| r.len()).collect();
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
            assert_eq!(sizes.last(), Some(&1));
            assert_eq!(sizes[0], (total / (4 * workers)).max(1));
        }
        let next = AtomicUsize::new(0);
        let runs: Vec<_> = std::iter::from_fn(|| claim(&next, 1026, 2)).collect();
        assert_eq!(runs[0], 0..128, "a quarter of an even share first");
    }
}
