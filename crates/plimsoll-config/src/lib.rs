//! `plimsoll.toml` (or `.plimsoll.toml`): found from the working directory upward,
//! parsed with spans so a bad value is reported at its line and column with a
//! suggestion, and described by a JSON Schema generated from these types.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub mod capability;
mod extend;
pub mod hadolint;

pub use capability::{Capability, UnknownCapability};

use schemars::JsonSchema;
use serde::Deserialize;
use toml::Spanned;

/// File names searched for, in order, in each directory from the working
/// directory up to the root.
pub const FILE_NAMES: &[&str] = &["plimsoll.toml", ".plimsoll.toml"];

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(
    title = "plimsoll configuration",
    description = "plimsoll.toml: rules, plugins and checks for plimsoll."
)]
pub struct Config {
    /// Another config this one inherits (relative to this file, say
    /// `"../../plimsoll.toml"`): its settings apply unless this file sets
    /// them (tables merge key by key; this file's values and lists win). Its
    /// relative paths keep meaning what they meant from its own directory.
    #[schemars(with = "Option<String>")]
    pub extend: Option<Spanned<String>>,
    /// Lowest level that fails the run: `note`, `warning` (default), `error` or
    /// `never`. `--fail-on` overrides it.
    pub fail_on: Option<FailOn>,
    /// Only these rules run: rule ids (`PL1001`), peer aliases (`DL3008`,
    /// `DS001`, `CKV_DOCKER_3`), id prefixes (`PL1`) or plugin names (`lint`).
    /// Default: every rule.
    pub select: Option<Vec<String>>,
    /// Rules never reported (same forms as `select`).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Whether ignore comments in Dockerfiles (`# plimsoll: ignore=`,
    /// `# hadolint ignore=`, `# trivy:ignore:`, `# checkov:skip=`) apply
    /// (default `true`). With `false` they suppress nothing and each is reported
    /// (PL0002; hadolint's `disable-ignore-pragma`), so only this file decides.
    pub inline_ignores: Option<bool>,
    /// Finding nothing to check is an error (exit 2) instead of a warning
    /// (exit 0, with empty reports written). `--fail-on-empty` sets it.
    #[serde(default)]
    pub fail_on_empty: bool,
    /// Limits on what plimsoll reads.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Which files `check` and `pin` read when searching directories.
    #[serde(default)]
    pub targets: TargetsConfig,
    /// Pin the rule set (`YYYY.MM`): rules added after it report as notes until
    /// you opt in, so upgrading plimsoll never breaks a pipeline on its own.
    pub rule_set: Option<String>,
    /// Paths (globs, relative to this file) never checked.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Per-rule level: `off`, `note`, `warning` or `error`. Keys are rule ids or
    /// aliases.
    #[serde(default)]
    pub rules: BTreeMap<String, RuleLevel>,
    /// Rules ignored in some files: `{ "legacy/**" = ["PL3001"] }`.
    #[serde(default)]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    /// Settings of the built-in `lint` plugin.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub lint: Option<Spanned<toml::Table>>,
    /// Settings of the built-in `pin` plugin (`platform-digests`, `platform`,
    /// `ignore-images`, `verify-pins`).
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub pin: Option<Spanned<toml::Table>>,
    /// Signature policies of the built-in `sign-verify` plugin
    /// (`check-base-images`, `[[sign-verify.policies]]`); `key` and
    /// `trusted-root` paths are relative to this file.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub sign_verify: Option<Spanned<toml::Table>>,
    /// Settings of the built-in `scan` plugin (vulnerabilities of images:
    /// `min-cvss`, `severity`, `ignore-unfixed`, `ignore`), and the local
    /// database's `db-max-age-days`, `db-source` and `skip-db-update`.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub scan: Option<Spanned<toml::Table>>,
    /// How plimsoll talks to registries.
    #[serde(default)]
    pub registry: RegistryConfig,
    /// Extra plugins: your own policies as WebAssembly components.
    #[serde(default)]
    pub plugins: Vec<PluginEntry>,
}

/// `[targets]`: which files a directory search reads.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TargetsConfig {
    /// The kinds of file read (default: all). `--kind` overrides it.
    pub kinds: Option<Vec<TargetKind>>,
    /// Files read as Kubernetes manifests (globs, relative to this file):
    /// Kubernetes manifests have no conventional name, so a directory search
    /// finds them only here, as Renovate's `kubernetes.fileMatch`:
    /// `["deploy/**/*.yaml"]`. Files named on the command line are recognised
    /// by their content.
    #[serde(default)]
    pub kubernetes: Vec<String>,
    /// In Kubernetes manifests, also read `image:` fields of custom
    /// resources (Argo Workflows, Tekton, operators' CRs), anywhere in the
    /// document; the workloads' containers are always read.
    #[serde(default)]
    pub crd_images: bool,
}

/// The kind of a file plimsoll reads; one enum for `--kind` and
/// `[targets] kinds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum TargetKind {
    /// Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*
    Dockerfile,
    /// compose.yaml, docker-compose*.yml
    Compose,
    /// Kubernetes manifests (`[targets] kubernetes` globs in directories)
    Kubernetes,
    /// .github/workflows/*.yml
    GithubWorkflow,
    /// .gitlab-ci.yml, *.gitlab-ci.yml
    GitlabCi,
    /// devcontainer.json, .devcontainer.json
    Devcontainer,
}

impl TargetKind {
    /// The kebab-case name (`github-workflow`).
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Dockerfile => "dockerfile",
            TargetKind::Compose => "compose",
            TargetKind::Kubernetes => "kubernetes",
            TargetKind::GithubWorkflow => "github-workflow",
            TargetKind::GitlabCi => "gitlab-ci",
            TargetKind::Devcontainer => "devcontainer",
        }
    }
}

/// `[limits]`: the most plimsoll reads of one target.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LimitsConfig {
    /// Largest Dockerfile read, in MiB (default 8; real ones are kilobytes). A larger one is a run
    /// error (exit 3) naming the file, before anything parses it.
    pub max_file_mib: Option<u64>,
}

impl LimitsConfig {
    /// Default for `max-file-mib`.
    pub const DEFAULT_MAX_FILE_MIB: u64 = 8;

    pub fn max_file_bytes(&self) -> u64 {
        self.max_file_mib
            .unwrap_or(Self::DEFAULT_MAX_FILE_MIB)
            .max(1)
            .saturating_mul(1 << 20)
    }
}

/// `[registry]`: credentials come from the docker config (`docker login`,
/// credential helpers, `$DOCKER_CONFIG`) or podman's auth.json, never from here.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RegistryConfig {
    /// Extra CA certificate files (PEM, relative to this file) trusted for
    /// registries, on top of the system store. `--ca-file` adds more.
    #[serde(default)]
    pub ca_files: Vec<String>,
    /// Registries (`host:port`) that may be reached over plain HTTP when HTTPS
    /// fails. Loopback registries always may, as with Docker.
    #[serde(default)]
    pub insecure: Vec<String>,
    /// Seconds a tag's answer is reused from the cache (default 300).
    pub tag_ttl_seconds: Option<u64>,
    /// Seconds per registry request (default 30).
    pub timeout_seconds: Option<u64>,
    /// Retries after HTTP 429, 5xx or a dropped connection (default 3).
    pub retries: Option<u32>,
}

/// The lowest level that fails a run; one enum for `--fail-on` and
/// `fail-on =`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum FailOn {
    /// Any finding fails the run.
    Note,
    /// Warnings and errors fail the run (the default for `check`).
    Warning,
    /// Only errors fail the run.
    Error,
    /// Findings never fail the run (run errors still exit 3).
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    Off,
    Note,
    Warning,
    Error,
}

/// One extra plugin.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PluginEntry {
    /// The name its findings are reported under; unique.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// A `.wasm` path (relative to this file) or `oci://registry/repo@sha256:...`.
    #[schemars(with = "String")]
    pub source: Spanned<String>,
    /// Expected sha256 of the component (hex); a mismatch refuses to load.
    pub sha256: Option<String>,
    /// Host capabilities granted: `registry`, `image`, `signatures`,
    /// `vulnerabilities`, `packages`. Anything the plugin imports beyond
    /// these is refused.
    #[serde(default)]
    #[schemars(with = "Vec<Capability>")]
    pub capabilities: Vec<Spanned<String>>,
    #[serde(default)]
    pub limits: PluginLimits,
    /// Settings passed to the plugin (validated by the plugin).
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub settings: Option<Spanned<toml::Table>>,
    /// Set to false to keep the entry but not run it.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// For an `oci://` source: the plugin must be signed by this authority
    /// (`{ key = "keys/cosign.pub" }` or `{ keyless = { identity, issuer,
    /// trusted-root } }`, as in `[sign-verify]`), or it is not loaded.
    #[schemars(with = "Option<BTreeMap<String, serde_json::Value>>")]
    pub signature: Option<toml::Table>,
}

impl PluginEntry {
    /// The granted capabilities (validated when the config was loaded).
    pub fn granted(&self) -> Vec<Capability> {
        self.capabilities
            .iter()
            .filter_map(|c| c.get_ref().parse().ok())
            .collect()
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PluginLimits {
    /// The plugin's own running time for one call, in ms (default 2000;
    /// time waiting on the host is not counted).
    pub timeout_ms: Option<u64>,
    /// Wall-clock time for one call, in ms, host calls (registry requests,
    /// image reads) and sleeps included (default 120000).
    pub wall_timeout_ms: Option<u64>,
    /// Host calls one call may make (default 100000: lint reads up to 20,000
    /// files of an image's layers, one call each).
    pub max_host_calls: Option<u64>,
    /// Memory the plugin may use (default 256).
    pub memory_mib: Option<u64>,
}

/// A config file as loaded.
#[derive(Debug, Clone, Default)]
pub struct LoadedConfig {
    pub config: Config,
    /// The file, when one was found.
    pub path: Option<PathBuf>,
    /// Its text (for a hadolint file: the translated TOML).
    pub text: String,
    /// Set when the settings came from hadolint's `.hadolint.yaml`, with the notes
    /// on what did not translate.
    pub from_hadolint: Option<Vec<String>>,
}

/// A configuration problem, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl LoadedConfig {
    /// The config at `explicit`, else the nearest `plimsoll.toml`/`.plimsoll.toml`
    /// from `start` upward; when there is none anywhere above, hadolint's
    /// `.hadolint.yaml` (the nearest, translated): a repository's
    /// plimsoll.toml is never displaced by a hadolint file in a subfolder.
    /// Else the defaults.
    pub fn discover(explicit: Option<&Path>, start: &Path) -> Result<LoadedConfig, ConfigError> {
        if let Some(p) = explicit {
            return Self::load(p);
        }
        if let Some(p) = Self::closest(start) {
            return Self::load(&p);
        }
        for dir in start.ancestors() {
            for name in hadolint::HADOLINT_FILE_NAMES {
                let p = dir.join(name);
                if p.is_file() {
                    return Self::load(&p);
                }
            }
        }
        Ok(LoadedConfig::default())
    }

    /// The nearest `plimsoll.toml`/`.plimsoll.toml` in `dir` or above: the
    /// config that governs the files there.
    pub fn closest(dir: &Path) -> Option<PathBuf> {
        dir.ancestors().find_map(config_in)
    }

    pub fn load(path: &Path) -> Result<LoadedConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message: format!("cannot read the config file: {e}"),
            help: None,
        })?;
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            return Self::from_hadolint(path, &text);
        }
        Self::parse(path, &text)
    }

    /// A hadolint configuration, translated.
    pub fn from_hadolint(path: &Path, yaml: &str) -> Result<LoadedConfig, ConfigError> {
        let err = |message: String| ConfigError {
            path: path.to_path_buf(),
            line: None,
            column: None,
            message,
            help: Some("`plimsoll migrate hadolint` shows the translation".into()),
        };
        let (toml_text, notes) = hadolint::translate(yaml)
            .map_err(|e| err(format!("cannot read hadolint's configuration: {e}")))?;
        let mut loaded = Self::parse(path, &toml_text).map_err(|e| {
            err(format!(
                "hadolint's configuration translates into an invalid one: {}",
                e.message
            ))
        })?;
        loaded.from_hadolint = Some(notes);
        Ok(loaded)
    }

    pub fn parse(path: &Path, text: &str) -> Result<LoadedConfig, ConfigError> {
        Self::parse_extending(path, text, 0)
    }

    /// [`Self::parse`] `depth` files down an `extend` chain.
    fn parse_extending(path: &Path, text: &str, depth: usize) -> Result<LoadedConfig, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_col(text, s.start))
                .map(|(l, c)| (Some(l), Some(c)))
                .unwrap_or((None, None));
            let message = e.message().trim().to_string();
            ConfigError {
                path: path.to_path_buf(),
                line,
                column,
                help: suggestion(&message),
                message,
            }
        })?;
        let loaded = LoadedConfig {
            config,
            path: Some(path.to_path_buf()),
            text: text.to_string(),
            from_hadolint: None,
        };
        loaded.validate()?;
        match loaded.config.extend.clone() {
            Some(ext) => loaded.extended(&ext, depth),
            None => Ok(loaded),
        }
    }

    /// This (valid) config merged over the one it extends.
    fn extended(&self, ext: &Spanned<String>, depth: usize) -> Result<LoadedConfig, ConfigError> {
        let path = self.path.clone().unwrap_or_default();
        let at = |message: String| self.error_at(ext.span(), message, None);
        if depth >= 8 {
            return Err(at("`extend` goes more than 8 files deep (a cycle?)".into()));
        }
        let parent_path = self.base_dir().join(ext.get_ref());
        if parent_path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml")
        {
            return Err(at(
                "`extend` names a plimsoll.toml; translate a hadolint file with `plimsoll migrate hadolint` first".into(),
            ));
        }
        let text = std::fs::read_to_string(&parent_path)
            .map_err(|e| at(format!("cannot read `{}`: {e}", parent_path.display())))?;
        let parent = Self::parse_extending(&parent_path, &text, depth + 1)?;
        let (Ok(here), Ok(there)) = (
            self.base_dir().canonicalize(),
            parent.base_dir().canonicalize(),
        ) else {
            return Err(at(
                "cannot resolve the directories of the `extend` chain".into()
            ));
        };
        let mut merged: toml::Table = toml::from_str(&parent.text)
            .map_err(|e| at(format!("cannot re-read `{}`: {e}", parent_path.display())))?;
        extend::rebase(&mut merged, &there, &here);
        merged.remove("extend");
        let mut own: toml::Table = toml::from_str(&self.text).expect("parsed above");
        own.remove("extend");
        extend::merge(&mut merged, own);
        let text = toml::to_string(&merged).map_err(|e| {
            at(format!(
                "cannot merge with `{}`: {e}",
                parent_path.display()
            ))
        })?;
        let config: Config = toml::from_str(&text).map_err(|e| {
            at(format!(
                "merged with `{}`, the settings are invalid: {}",
                parent_path.display(),
                e.message().trim()
            ))
        })?;
        let loaded = LoadedConfig {
            config,
            path: Some(path),
            text,
            from_hadolint: None,
        };
        loaded.validate()?;
        Ok(loaded)
    }

    /// Directory relative paths in the config are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// An error at a span of the config text.
    pub fn error_at(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        help: Option<String>,
    ) -> ConfigError {
        let (line, column) = line_col(&self.text, span.start);
        ConfigError {
            path: self
                .path
                .clone()
                .unwrap_or_else(|| PathBuf::from("plimsoll.toml")),
            line: Some(line),
            column: Some(column),
            message: message.into(),
            help,
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let mut names = std::collections::HashSet::new();
        for p in &self.config.plugins {
            let name = p.name.get_ref();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(self.error_at(
                    p.name.span(),
                    format!("plugin name `{name}` must be non-empty letters, digits, `-` or `_`"),
                    None,
                ));
            }
            if ["lint", "pin", "scan", "sign-verify"].contains(&name.as_str())
                || !names.insert(name.clone())
            {
                return Err(self.error_at(
                    p.name.span(),
                    format!("plugin name `{name}` is already taken"),
                    Some("give each [[plugins]] entry its own name".into()),
                ));
            }
            for cap in &p.capabilities {
                if let Err(e) = cap.get_ref().parse::<Capability>() {
                    let help = e.suggestion.map(|c| format!("did you mean `{c}`?"));
                    return Err(self.error_at(
                        cap.span(),
                        format!("plugin `{name}` asks for {e}"),
                        help,
                    ));
                }
            }
        }
        for pattern in self
            .config
            .exclude
            .iter()
            .chain(self.config.per_file_ignores.keys())
        {
            if let Err(e) = globset::Glob::new(pattern) {
                return Err(ConfigError {
                    path: self.path.clone().unwrap_or_default(),
                    line: self
                        .text
                        .find(pattern.as_str())
                        .map(|o| line_col(&self.text, o).0),
                    column: None,
                    message: format!("invalid glob `{pattern}`: {e}"),
                    help: None,
                });
            }
        }
        if let Some(rs) = &self.config.rule_set
            && !is_rule_set(rs)
        {
            return Err(ConfigError {
                path: self.path.clone().unwrap_or_default(),
                line: self
                    .text
                    .find("rule-set")
                    .map(|o| line_col(&self.text, o).0),
                column: None,
                message: format!("rule-set `{rs}` is not a YYYY.MM version"),
                help: Some("e.g. rule-set = \"2026.11\"".into()),
            });
        }
        Ok(())
    }

    /// Settings of a table as JSON for a plugin (`{}` when absent).
    pub fn table_json(table: Option<&Spanned<toml::Table>>) -> serde_json::Value {
        match table {
            Some(t) => serde_json::to_value(t.get_ref()).unwrap_or_default(),
            None => serde_json::Value::Object(Default::default()),
        }
    }
}

/// The `plimsoll.toml`/`.plimsoll.toml` in `dir` itself, if there is one.
fn config_in(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// [`LoadedConfig::closest`] for many directories, each asked once: a
/// directory's answer is its own config or its parent's (remembered), so a
/// tree of a thousand directories costs two lookups per directory, not two
/// per directory and per ancestor of it.
#[derive(Default)]
pub struct ClosestConfigs(std::collections::HashMap<PathBuf, Option<PathBuf>>);

impl ClosestConfigs {
    /// The canonical path of the config governing `dir` (a canonical
    /// directory), if there is one.
    pub fn of(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(found) = self.0.get(dir) {
            return found.clone();
        }
        let found = match config_in(dir) {
            Some(own) => own.canonicalize().ok(),
            None => dir.parent().and_then(|parent| self.of(parent)),
        };
        self.0.insert(dir.to_path_buf(), found.clone());
        found
    }
}

fn is_rule_set(s: &str) -> bool {
    let mut parts = s.split('.');
    matches!((parts.next(), parts.next(), parts.next()), (Some(y), Some(m), None)
        if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit())
        && m.len() == 2 && m.bytes().all(|b| b.is_ascii_digit()))
}

/// 1-based line and column (in chars) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let p = plimsoll_dockerfile::LineIndex::new(text).position(text, offset);
    (p.line as usize, p.column as usize)
}

/// For toml's "unknown field `x`, expected one of `a`, `b`": the closest known key.
fn suggestion(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let (unknown, expected) = rest.split_once('`')?;
    let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    closest(unknown, &candidates).map(|c| format!("did you mean `{c}`?"))
}

pub(crate) fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// The JSON Schema of plimsoll.toml.
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Config)).expect("schema serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LoadedConfig, ConfigError> {
        LoadedConfig::parse(Path::new("plimsoll.toml"), text)
    }

    #[test]
    fn full_example_parses() {
        let c = parse(
            r#"
fail-on = "error"
select = ["lint", "DL3008"]
ignore = ["PL3001"]
rule-set = "2026.11"
exclude = ["vendor/**"]
[rules]
PL1001 = "error"
[per-file-ignores]
"legacy/**" = ["PL3002"]
[lint]
x = 1
[[plugins]]
name = "corp"
source = "policies/corp.wasm"
sha256 = "abc"
capabilities = ["registry"]
limits = { timeout-ms = 2000, memory-mib = 256 }
settings = { allowed-registries = ["registry.corp.example"] }
"#,
        )
        .unwrap();
        assert_eq!(c.config.fail_on, Some(FailOn::Error));
        assert_eq!(c.config.plugins[0].limits.timeout_ms, Some(2000));
        let s = LoadedConfig::table_json(c.config.plugins[0].settings.as_ref());
        assert_eq!(s["allowed-registries"][0], "registry.corp.example");
    }

    #[test]
    fn unknown_key_has_line_and_suggestion() {
        let e = parse("fail-on = \"error\"\nfial-on = \"x\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.help.as_deref(), Some("did you mean `fail-on`?"));
        assert!(e.to_string().starts_with("plimsoll.toml:2:1:"), "{e}");
    }

    #[test]
    fn bad_values_are_located() {
        let e =
            parse("[[plugins]]\nname = \"a\"\nsource = \"x.wasm\"\ncapabilities = [\"registy\"]\n")
                .unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean `registry`?"));
        // At the value, not at the plugin's name.
        assert_eq!((e.line, e.column), (Some(4), Some(17)), "{e}");
        let ok = parse(
            "[[plugins]]\nname = \"a\"\nsource = \"x.wasm\"\ncapabilities = [\"packages\", \"image\"]\n",
        )
        .unwrap();
        assert_eq!(
            ok.config.plugins[0].granted(),
            vec![Capability::Packages, Capability::Image]
        );
        let e = parse("[[plugins]]\nname = \"lint\"\nsource = \"x.wasm\"\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse("fail-on = \"sometimes\"\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(parse("rule-set = \"latest\"\n").is_err());
    }

    #[test]
    fn discovery_walks_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".plimsoll.toml"), "fail-on = \"note\"\n").unwrap();
        let sub = dir.path().join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        let c = LoadedConfig::discover(None, &sub).unwrap();
        assert_eq!(c.config.fail_on, Some(FailOn::Note));
        assert_eq!(c.base_dir(), dir.path());
    }

    #[test]
    fn hadolint_yaml_is_read_when_there_is_no_plimsoll_toml() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".hadolint.yaml"),
            "ignored: [DL3008]\nfailure-threshold: error\n",
        )
        .unwrap();
        let c = LoadedConfig::discover(None, dir.path()).unwrap();
        assert_eq!(c.config.ignore, vec!["DL3008"]);
        assert_eq!(c.config.fail_on, Some(FailOn::Error));
        assert!(c.from_hadolint.is_some());
        std::fs::write(dir.path().join("plimsoll.toml"), "fail-on = \"note\"\n").unwrap();
        let c = LoadedConfig::discover(None, dir.path()).unwrap();
        assert_eq!(c.config.fail_on, Some(FailOn::Note));
    }

    #[test]
    fn schema_mentions_every_key() {
        let s = json_schema().to_string();
        for key in [
            "fail-on",
            "select",
            "per-file-ignores",
            "plugins",
            "rule-set",
            "timeout-ms",
        ] {
            assert!(s.contains(key), "{key}");
        }
    }
}

#[cfg(test)]
mod extend_tests {
    use super::*;

    #[test]
    fn a_config_extends_another_with_its_paths_rebased() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("services/api")).unwrap();
        std::fs::write(
            root.join("plimsoll.toml"),
            "ignore = [\"PL3003\"]\nexclude = [\"**/gen/**\", \"services/api/legacy/**\", \"vendor/**\"]\n\
             [per-file-ignores]\n\"services/api/old/*\" = [\"PL1001\"]\n\
             [lint]\ntrusted-registries = [\"r.example\"]\n\
             [[plugins]]\nname = \"corp\"\nsource = \"plugins/corp.wasm\"\n",
        )
        .unwrap();
        let child = root.join("services/api/plimsoll.toml");
        std::fs::write(
            &child,
            "extend = \"../../plimsoll.toml\"\n[lint]\nstrict-labels = true\n",
        )
        .unwrap();
        let c = LoadedConfig::load(&child).unwrap();
        assert_eq!(c.config.ignore, vec!["PL3003"]);
        assert_eq!(c.config.exclude, vec!["**/gen/**", "legacy/**"]);
        assert_eq!(
            c.config.per_file_ignores.keys().collect::<Vec<_>>(),
            vec!["old/*"]
        );
        let lint = LoadedConfig::table_json(c.config.lint.as_ref());
        assert_eq!(lint["trusted-registries"][0], "r.example");
        assert_eq!(lint["strict-labels"], true);
        assert_eq!(
            c.config.plugins[0].source.get_ref(),
            "../../plugins/corp.wasm"
        );
        assert_eq!(c.base_dir(), root.join("services/api"));

        // A missing file is an error at the `extend` line; so is a cycle.
        std::fs::write(&child, "# inherit\nextend = \"../nope.toml\"\n").unwrap();
        let e = LoadedConfig::load(&child).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("cannot read"), "{e}");
        std::fs::write(
            root.join("plimsoll.toml"),
            "extend = \"services/api/plimsoll.toml\"\n",
        )
        .unwrap();
        std::fs::write(&child, "extend = \"../../plimsoll.toml\"\n").unwrap();
        let e = LoadedConfig::load(&child).unwrap_err();
        assert!(e.message.contains("cycle"), "{e}");
    }
}
