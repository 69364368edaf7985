//! The command line (clap derive). Conventions follow ruff, cargo-deny and trivy.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "plimsoll",
    version = crate::version::LONG,
    about = "Check Dockerfiles and container images: lint, pinning, vulnerabilities, signatures.",
    long_about = "plimsoll checks Dockerfiles and container images in CI and on a laptop. \
Every check runs as a sandboxed WebAssembly plugin; teams add their own policies as plugins \
without recompiling plimsoll.\n\n\
Exit codes: 0 nothing at or above the fail level; 1 findings at or above it; \
2 usage or configuration error; 3 a check could not run (plugin failed, file unreadable).",
    after_help = "Examples:\n  plimsoll check                         # every Dockerfile under .\n  plimsoll check services/ --fix         # apply safe fixes\n  plimsoll check --format json -o out.json\n  plimsoll explain PL1001                # what a rule checks and why\n  plimsoll rules                         # every rule with its hadolint/Trivy/Checkov ids"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file (default: plimsoll.toml or .plimsoll.toml, searched from the
    /// working directory upward).
    #[arg(long, global = true, value_name = "FILE", env = "PLIMSOLL_CONFIG")]
    pub config: Option<PathBuf>,

    /// More output on stderr (-v: plugin logs and timings, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Use no cache at all: compiled plugins, check results and registry
    /// answers are neither read nor written.
    #[arg(long, global = true)]
    pub no_cache: bool,

    /// Check every file again: do not read or write the result cache (what
    /// each plugin found in each unchanged file, and what a run reported for
    /// it), keeping the other caches.
    /// A cached answer replays the findings, not the plugin's log lines:
    /// use this when developing a plugin.
    #[arg(long, global = true, env = "PLIMSOLL_NO_RESULT_CACHE")]
    pub no_result_cache: bool,

    /// Cache directory for compiled plugins, check results and registry
    /// answers (default: $XDG_CACHE_HOME/plimsoll).
    #[arg(long, global = true, value_name = "DIR", env = "PLIMSOLL_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,

    /// The vulnerability database directory (default: vulndb/ in the cache
    /// directory); share it between projects or cache it in CI.
    #[arg(long, global = true, value_name = "DIR", env = "PLIMSOLL_DB_DIR")]
    pub db_dir: Option<PathBuf>,

    /// Never contact a registry or download vulnerability data: answer from
    /// the cache (vulnerability data of any age, with a warning when it is
    /// older than `[scan] db-max-age-days`), and report what cannot be
    /// verified as notes (PL6006).
    #[arg(long, global = true, env = "PLIMSOLL_OFFLINE")]
    pub offline: bool,

    /// Never download vulnerability data during `check`: scan with what `db
    /// update`/`db import` left in the database (air-gapped runners; `[scan]
    /// skip-db-update`). Without it, an ecosystem that is missing or older
    /// than `[scan] db-max-age-days` is downloaded when first needed.
    #[arg(long, global = true, env = "PLIMSOLL_SKIP_DB_UPDATE")]
    pub skip_db_update: bool,

    /// Trust this PEM CA certificate for registries, on top of the system store
    /// (repeatable; SSL_CERT_FILE replaces the system store).
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_file: Vec<PathBuf>,
}

impl GlobalArgs {
    /// Where compiled plugins and registry answers are cached: `--cache-dir`,
    /// else the user cache dir; `None` with `--no-cache`.
    pub fn cache_root(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir
            .clone()
            .or_else(plimsoll_host::default_cache_dir)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check Dockerfiles (Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*)
    /// and manifests (compose, workflows, .gitlab-ci.yml, devcontainer.json)
    /// found under PATHs, images (--image, --images-from) and SBOMs (--sbom).
    #[command(
        after_help = "Examples:\n  plimsoll check                                     # every Dockerfile under .\n  plimsoll check Dockerfile --fix                    # apply safe fixes in place\n  plimsoll check --select DL3008,PL1 -f sarif -o plimsoll.sarif\n  plimsoll check --image registry.example.com/app:1.4 --min-cvss 9\n  plimsoll check --image docker-archive:app.tar --ignore-unfixed\n  plimsoll check --sbom app.cdx.json --skip-db-update\n  plimsoll check --images-from compose.yaml            # every image compose.yaml names\n\nExit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage or\nconfiguration error, 3 a target or plugin could not be checked."
    )]
    Check(Box<CheckArgs>),
    /// Resolve image references to digests: report unpinned, stale and
    /// platform-specific pins; --fix writes the digests in place.
    #[command(
        long_about = "Resolve every image a Dockerfile pulls (FROM after ARG substitution, COPY --from, \
RUN --mount from, # syntax) to a digest, and report references without one (PL6001), pins the tag \
has moved away from (PL6002, the base was rebuilt), platform-manifest digests where the index is \
expected (PL6003), and tags or digests that do not exist (PL6004, PL6005).\n\n\
Credentials come from the docker config (docker login, credential helpers, $DOCKER_CONFIG) or \
podman's auth.json. Multi-platform images are pinned to their index digest, as Renovate and \
`docker buildx imagetools inspect` show it; set [pin] platform-digests to allow or require platform \
digests.\n\n\
Exit codes: 0 everything pinned and current; 1 something unpinned or stale; 2 usage error; \
3 a registry could not be asked (unreachable, unauthorized, rate limited, invalid answer).",
        after_help = "Examples:\n  plimsoll pin                      # report\n  plimsoll pin --fix                # write image:tag@sha256:... in place\n  plimsoll pin --fix --update       # also move stale pins to the current digest\n  plimsoll pin --offline            # only what the cache knows"
    )]
    Pin(PinArgs),
    /// List every rule, its default level, and the hadolint/Trivy/Checkov ids it
    /// covers.
    Rules(RulesArgs),
    /// Show a rule's documentation: what it checks, why, and how to fix it.
    Explain {
        /// A rule id (PL1001), a peer id (DL3006) or a rule name.
        rule: String,
    },
    /// Inspect plugins.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Print the JSON Schema of plimsoll.toml.
    ConfigSchema,
    /// Translate another tool's configuration into plimsoll.toml.
    #[command(subcommand)]
    Migrate(MigrateCommand),
    /// The local vulnerability database (OSV data) image scans use.
    #[command(subcommand)]
    Db(DbCommand),
    /// Write an image's software bill of materials: its OS and packages
    /// (dpkg, apk, Python, npm) with versions, package URLs and licences.
    #[command(
        after_help = "Examples:\n  plimsoll sbom alpine:3.20 > sbom.cdx.json\n  plimsoll sbom oci:./layout:1.0 --format spdx -o sbom.spdx.json\n  plimsoll sbom docker-archive:image.tar"
    )]
    Sbom {
        /// A registry reference, `oci:DIR[:TAG]` or `docker-archive:FILE`.
        #[arg(value_name = "IMAGE")]
        image: String,
        /// `cyclonedx` (1.5 JSON) or `spdx` (2.3 JSON).
        #[arg(long, short = 'f', value_enum, default_value_t = SbomFormat::Cyclonedx)]
        format: SbomFormat,
        /// Write here instead of stdout.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// The platform of a multi-platform image (`os/arch[/variant]`).
        #[arg(long, value_name = "PLATFORM")]
        platform: Option<String>,
    },
    /// Developer tools.
    #[command(subcommand)]
    Debug(DebugCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Install:\n  bash:  plimsoll completions bash > ~/.local/share/bash-completion/completions/plimsoll\n  zsh:   plimsoll completions zsh > \"${fpath[1]}/_plimsoll\"\n  fish:  plimsoll completions fish > ~/.config/fish/completions/plimsoll.fish\n  pwsh:  plimsoll completions powershell >> $PROFILE"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory.
    #[command(
        after_help = "Examples:\n  plimsoll manpage | man -l -\n  plimsoll manpage --dir /usr/local/share/man/man1"
    )]
    Manpage {
        /// Write plimsoll.1 and plimsoll-<command>.1 into DIR.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check (default: the working directory).
    /// Directories are searched recursively, honouring .gitignore. `-` reads
    /// one Dockerfile from stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// With PATH `-`: the file name the Dockerfile read from stdin is reported
    /// as; its config is found from that file's directory (what editor
    /// integrations pass for the buffer being edited).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub selection: SelectionArgs,

    /// Apply safe fixes in place (atomically), then report what remains.
    #[arg(long, conflicts_with = "diff")]
    pub fix: bool,

    /// Show the fixes --fix would apply as a unified diff, and write nothing
    /// (exit 1 when a file would change). Works on stdin too (`check - --diff`).
    #[arg(long)]
    pub diff: bool,

    /// With --fix or --diff, also apply fixes marked unsafe.
    #[arg(long)]
    pub unsafe_fixes: bool,

    /// Skip paths matching this glob (repeatable; adds to the config's `exclude`).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Read only these kinds of file when searching directories (repeatable,
    /// or comma-separated; default: `[targets] kinds` in plimsoll.toml, else
    /// all). Files named as PATHs are always read.
    #[arg(long = "kind", value_name = "KIND", value_delimiter = ',', value_enum)]
    pub kinds: Vec<plimsoll_config::TargetKind>,

    /// Check an image (repeatable; mixes with PATHs): a registry reference,
    /// `oci:DIR[:TAG]` (an OCI image layout) or `docker-archive:FILE` (`docker
    /// save`). Resolved once; every plugin that checks images runs on that
    /// digest (sign-verify policies apply; see `plimsoll explain PL7001`), and
    /// layers are read only when a plugin granted `image` asks. With
    /// `--image` and no PATH, no Dockerfiles are searched for.
    #[arg(long, value_name = "REF")]
    pub image: Vec<String>,

    /// Check every image a manifest names, as with `--image` (repeatable): a
    /// compose file, Kubernetes manifest, GitHub workflow, GitLab CI file or
    /// devcontainer.json. Each image is checked once however many files name
    /// it; one that is not known until the file is used (`app:${TAG}`) is an
    /// error naming it.
    #[arg(long, value_name = "FILE")]
    pub images_from: Vec<PathBuf>,

    /// Check the packages an SBOM lists instead of an image (repeatable;
    /// CycloneDX or SPDX JSON, as plimsoll, Trivy or Syft write them; also
    /// `--image sbom:FILE`, as Grype spells it). The plugins that read
    /// packages run (the vulnerability scan and licence policy); image
    /// config and layer checks need the image.
    #[arg(long, value_name = "FILE")]
    pub sbom: Vec<PathBuf>,

    /// The platform of multi-platform images, as `os/arch[/variant]`
    /// (default: linux on this machine's architecture).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<String>,

    /// Vulnerabilities scored at least this fail the run (default 7.0;
    /// `[scan] min-cvss`). Lower-scored ones are reported as notes.
    #[arg(long, value_name = "SCORE")]
    pub min_cvss: Option<f32>,

    /// Severities that fail the run whatever the score, comma-separated
    /// (`CRITICAL,HIGH`; `[scan] severity`).
    #[arg(long, value_name = "LIST")]
    pub severity: Vec<String>,

    /// Leave out vulnerabilities that have no fixed version yet
    /// (`[scan] ignore-unfixed`; Grype's `--only-fixed`).
    #[arg(long, visible_alias = "only-fixed")]
    pub ignore_unfixed: bool,

    /// Vulnerability ids to ignore, one per line, as Trivy's `.trivyignore`
    /// (`CVE-2024-0727 exp:2027-01-31`; `[scan] ignore-file`), on top of
    /// `[[scan.ignore]]`.
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,

    #[command(flatten)]
    pub verify: VerifyArgs,
}

/// `cosign verify`-style flags: a signature policy for the images of this
/// run without a config file. The images must be signed by the key, or by
/// the certificate identity and issuer; every check's verdict is PL7001, and
/// what verified is reported as PL7002 (a note: signer, issuer, log entry).
#[derive(Debug, Args, Default)]
#[command(next_help_heading = "Signatures (as cosign verify, slsa-verifier)")]
pub struct VerifyArgs {
    /// Require the images to be signed with this public key (PEM: ECDSA,
    /// RSA, Ed25519), as `cosign verify --key`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp"])]
    pub key: Option<PathBuf>,

    /// Require a keyless signature whose certificate names exactly this
    /// identity (an email, or a workflow URI such as
    /// `https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main`).
    #[arg(
        long,
        value_name = "IDENTITY",
        conflicts_with = "certificate_identity_regexp"
    )]
    pub certificate_identity: Option<String>,

    /// Like --certificate-identity, by an unanchored regular expression.
    #[arg(long, value_name = "REGEX")]
    pub certificate_identity_regexp: Option<String>,

    /// The OIDC issuer the certificate must name
    /// (`https://token.actions.githubusercontent.com`).
    #[arg(
        long,
        value_name = "ISSUER",
        conflicts_with = "certificate_oidc_issuer_regexp"
    )]
    pub certificate_oidc_issuer: Option<String>,

    /// Like --certificate-oidc-issuer, by an unanchored regular expression.
    #[arg(long, value_name = "REGEX")]
    pub certificate_oidc_issuer_regexp: Option<String>,

    /// A Sigstore `trusted_root.json` (Fulcio CAs, Rekor keys): required for
    /// keyless signatures; with --key, checks their Rekor bundles. Never
    /// fetched: Sigstore's is in its root-signing repository.
    #[arg(long, value_name = "FILE")]
    pub trusted_root: Option<PathBuf>,

    /// The certificate's GitHub workflow trigger (`push`...).
    #[arg(long, value_name = "TRIGGER")]
    pub certificate_github_workflow_trigger: Option<String>,

    /// The certificate's GitHub workflow commit.
    #[arg(long, value_name = "SHA")]
    pub certificate_github_workflow_sha: Option<String>,

    /// The certificate's GitHub workflow name.
    #[arg(long, value_name = "NAME")]
    pub certificate_github_workflow_name: Option<String>,

    /// The certificate's GitHub repository (`owner/repo`).
    #[arg(long, value_name = "REPO")]
    pub certificate_github_workflow_repository: Option<String>,

    /// The certificate's GitHub ref (`refs/heads/main`).
    #[arg(long, value_name = "REF")]
    pub certificate_github_workflow_ref: Option<String>,

    /// Accept signatures without a transparency-log entry, and do not check
    /// the entries there are (as cosign; keyless certificates are then
    /// checked at the current time, and expire within minutes).
    #[arg(long)]
    pub insecure_ignore_tlog: bool,

    /// Require an attestation of this predicate type instead of a signature
    /// (as `cosign verify-attestation --type`): a URI, or `slsaprovenance`,
    /// `slsaprovenance1`, `spdxjson`, `cyclonedx`, `vuln`.
    #[arg(long, value_name = "TYPE")]
    pub attestation_type: Option<String>,

    /// SLSA provenance: the source repository the image was built from
    /// (`github.com/org/repo`), as `slsa-verifier verify-image --source-uri`;
    /// implies `--attestation-type slsaprovenance`.
    #[arg(long, value_name = "URI")]
    pub source_uri: Option<String>,

    /// SLSA provenance: built from this branch.
    #[arg(long, value_name = "BRANCH", requires = "source_uri")]
    pub source_branch: Option<String>,

    /// SLSA provenance: built from this tag.
    #[arg(long, value_name = "TAG", requires = "source_uri")]
    pub source_tag: Option<String>,

    /// SLSA provenance: built from a tag of this version (`v1`, `v1.2`).
    #[arg(long, value_name = "VERSION", requires = "source_uri")]
    pub source_versioned_tag: Option<String>,

    /// SLSA provenance: the builder (with or without `@ref`); default: the
    /// SLSA GitHub generator's workflows at a release tag.
    #[arg(long, value_name = "ID", requires = "source_uri")]
    pub builder_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct PinArgs {
    /// Files or directories to check (default: the working directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Write digests in place (atomically): `image:tag@sha256:...`, in the
    /// `ARG` default when the image comes from one.
    #[arg(long)]
    pub fix: bool,

    /// With --fix, also move stale pins to what the tag points to now.
    #[arg(long, requires = "fix")]
    pub update: bool,

    /// Skip paths matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,

    /// Read only these kinds of file when searching directories (repeatable,
    /// or comma-separated; default: `[targets] kinds` in plimsoll.toml, else
    /// all). Files named as PATHs are always read.
    #[arg(long = "kind", value_name = "KIND", value_delimiter = ',', value_enum)]
    pub kinds: Vec<plimsoll_config::TargetKind>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format; repeat with --output to write several
    /// (`--format sarif --output r.sarif --format github`).
    #[arg(long, short = 'f', value_enum, value_name = "FORMAT")]
    pub format: Vec<Format>,

    /// Write the matching --format (by position) to FILE instead of stdout (`-` is
    /// stdout, to keep positions: `-f github -o - -f sarif -o r.sarif`).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Vec<PathBuf>,

    /// Lowest level that fails the run (exit 1): note, warning, error or never.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,

    /// Exit 2 when there is nothing to check (no Dockerfile under the paths)
    /// instead of warning and exiting 0 with empty reports.
    #[arg(long)]
    pub fail_on_empty: bool,

    /// Print the findings and nothing else (no summary lines).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Show how often each rule fired (most frequent first, `[*]` when fixable)
    /// instead of each finding, in human and concise output.
    #[arg(long)]
    pub statistics: bool,
}

#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Only report these rules: ids (PL1001), peer ids (DL3008, DS001,
    /// CKV_DOCKER_3), id prefixes (PL1) or plugin names (lint). Comma-separated or
    /// repeated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Vec<String>,

    /// Never report these rules (same forms as --select).
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Findings with source snippets (the default outside GitHub Actions).
    Human,
    /// One line per finding, `path:line:column: level[ID] message`, for editors
    /// and grep.
    Concise,
    /// Versioned JSON (docs/reference/json-output.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
    Sarif,
    /// GitHub Actions annotations, plus a summary table in $GITHUB_STEP_SUMMARY
    /// (the default when GITHUB_ACTIONS=true).
    Github,
    /// GitLab Code Quality report (a `codequality` artifact).
    Gitlab,
    /// GitLab container-scanning report (a `container_scanning` artifact, schema
    /// 15.0.7): the vulnerabilities image scans found, for the Security dashboard.
    GitlabContainerScanning,
    /// JUnit XML (one test suite per target; findings below --fail-on are passing
    /// cases with the finding in system-out).
    Junit,
}

/// Output of listing commands (`rules`, `debug parse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

pub use plimsoll_config::FailOn;

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `human` (a table) or `json`.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Print the plimsoll.toml equivalent of a hadolint config (default: the
    /// nearest .hadolint.yaml). plimsoll also reads .hadolint.yaml directly when a
    /// directory has no plimsoll.toml.
    Hadolint {
        /// The hadolint config file.
        file: Option<PathBuf>,
        /// Write plimsoll.toml next to it (refuses to overwrite one).
        #[arg(long)]
        write: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// List the plugins a run would load: built-ins and those in plimsoll.toml.
    List {
        /// `human` (a table) or `json` (with each plugin's rules and settings schema).
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Show what a plugin component is before trusting it: name, version,
    /// sha256, rules, settings schema, and the host capabilities it imports
    /// (grant them in plimsoll.toml's `capabilities`).
    #[command(
        after_help = "Examples:\n  plimsoll plugin inspect policies/corp.wasm\n  plimsoll plugin inspect policies/corp.wasm --format json"
    )]
    Inspect {
        /// The `.wasm` component.
        file: PathBuf,
        /// `human` or `json`.
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Embed the plugin's metadata (name, version, WIT version, rules and
    /// default levels, settings schema, capabilities) in the `.wasm` as a
    /// `dev.plimsoll.metadata` custom section, readable without running it.
    /// `plugin push` annotates what it publishes; at load, plimsoll refuses a
    /// component whose section disagrees with what it reports.
    #[command(
        after_help = "Examples:\n  plimsoll plugin annotate target/wasm32-wasip2/release/corp_policy.wasm\n  plimsoll plugin annotate corp.wasm -o corp.annotated.wasm"
    )]
    Annotate {
        /// The `.wasm` component.
        file: PathBuf,
        /// Where to write the annotated component (default: in place).
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Start a plugin project: one realistic rule, settings with a JSON
    /// Schema, fixtures for `plugin test`, and a plimsoll.toml that loads
    /// the built component. It builds with one command and its tests pass.
    #[command(
        after_help = "Examples:\n  plimsoll plugin new corp-policy                 # Rust, with the SDK\n  plimsoll plugin new corp-policy --lang python   # componentize-py\n  plimsoll plugin new corp-policy --lang js       # componentize-qjs"
    )]
    New {
        /// The plugin's name, kebab-case (`corp-policy`); also the directory.
        name: String,
        /// The language.
        #[arg(long, value_enum, default_value_t = PluginLang::Rust)]
        lang: PluginLang,
        /// Where to create it (default: ./NAME).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The plimsoll-plugin-sdk crate to depend on (Rust; default: the one
        /// this plimsoll was built from, else the git repository).
        #[arg(long, value_name = "PATH")]
        sdk: Option<PathBuf>,
    },
    /// Run a plugin through the real host on fixture Dockerfiles and compare
    /// its findings with the fixtures' `# expect: RULE` comments (each names
    /// what the next instruction must get; a fixture without any expects no
    /// findings). Works for plugins in any language.
    #[command(
        after_help = "Fixture (fixtures/bad.Dockerfile):\n  # settings: {\"allowed-registries\": [\"registry.corp.example\"]}\n  # expect: CORP001\n  FROM docker.io/library/alpine:3.20\n\nExamples:\n  plimsoll plugin test corp.wasm                 # every fixture under ./fixtures\n  plimsoll plugin test corp.wasm fixtures/bad.Dockerfile --settings '{\"allowed-registries\": []}'"
    )]
    Test {
        /// The `.wasm` component.
        file: PathBuf,
        /// Fixture Dockerfiles or directories of them (default: `fixtures`).
        #[arg(value_name = "FIXTURE")]
        fixtures: Vec<PathBuf>,
        /// Settings for the plugin, as JSON (default `{}`; a fixture's
        /// leading `# settings: {...}` comment overrides it).
        #[arg(long, value_name = "JSON")]
        settings: Option<String>,
        /// Grant the plugin a host capability (repeatable), as
        /// `capabilities = [...]` does in plimsoll.toml.
        #[arg(long = "grant", value_name = "CAPABILITY")]
        grants: Vec<plimsoll_config::Capability>,
    },
    /// Publish a plugin to an OCI registry (as Kubewarden and Spin do: one
    /// `application/vnd.wasm.content.layer.v1+wasm` layer, config
    /// `application/vnd.wasm.config.v1+json`, metadata as annotations). The
    /// component is annotated first. Prints `oci://REF@sha256:...` for
    /// plimsoll.toml; sign that digest with cosign to require signatures.
    #[command(
        after_help = "Examples:\n  plimsoll plugin push corp_policy.wasm registry.corp.example/policies/corp:1.0\n  # then in plimsoll.toml:\n  [[plugins]]\n  name = \"corp-policy\"\n  source = \"oci://registry.corp.example/policies/corp@sha256:...\"\n  signature = { key = \"keys/cosign.pub\" }   # optional: refuse unsigned"
    )]
    Push {
        /// The `.wasm` component.
        file: PathBuf,
        /// Where to push it: `registry/repository:tag` (`oci://` optional).
        #[arg(value_name = "REF")]
        reference: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Download OSV's per-ecosystem archives (`<SOURCE>/<Ecosystem>/all.zip`)
    /// and index them. `check --image` also fetches an ecosystem it needs
    /// when it is missing or stale (once per run; `--skip-db-update` and
    /// `--offline` never download): run this on a schedule to keep CI runs
    /// from downloading, or `db import` on an air-gapped runner.
    #[command(
        after_help = "Examples:\n  plimsoll db update                               # Debian, Alpine, Ubuntu, PyPI, npm, Go\n  plimsoll db update --ecosystem Debian --ecosystem Alpine\n  plimsoll db update --source https://mirror.corp.example/osv"
    )]
    Update {
        /// Base URL laid out like the OSV bucket.
        #[arg(long, value_name = "URL")]
        source: Option<String>,
        /// An OSV ecosystem to fetch (repeatable; default: Debian, Alpine,
        /// Ubuntu, PyPI, npm, Go).
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystems: Vec<String>,
    },
    /// Index OSV zip archives as published (`all.zip` of an ecosystem).
    Import {
        #[arg(required = true, value_name = "FILE.zip")]
        files: Vec<PathBuf>,
    },
    /// What the database holds and how old it is.
    Status,
}

/// SBOM document formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.5 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// Languages `plugin new` scaffolds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PluginLang {
    /// Rust with plimsoll-plugin-sdk (cargo, wasm32-wasip2).
    Rust,
    /// Python with componentize-py.
    Python,
    /// JavaScript with componentize-qjs (QuickJS).
    Js,
}

#[derive(Debug, Subcommand)]
pub enum DebugCommand {
    /// Parse Dockerfiles and print what BuildKit's parser would see. With
    /// `--format json`, the shape BuildKit's own parser dumps (one JSON
    /// object per file: directives, instructions with flags, heredocs) plus
    /// plimsoll's byte spans.
    Parse {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Print the packages plimsoll sees in an image (`REF`, `oci:DIR`,
    /// `docker-archive:FILE`) or an SBOM (`sbom:FILE`): what the scan
    /// matches against the vulnerability database.
    Packages {
        /// The image or `sbom:FILE`.
        target: String,
        #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
        /// The platform of a multi-platform image.
        #[arg(long, value_name = "PLATFORM")]
        platform: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command and subcommand has its own description, and no help
    /// text points outside the repository or the installed tool.
    #[test]
    fn every_subcommand_has_its_own_help() {
        fn walk(cmd: &mut clap::Command, path: &str, problems: &mut Vec<String>) {
            let mut abouts: Vec<String> = Vec::new();
            for sub in cmd.get_subcommands_mut() {
                let name = format!("{path} {}", sub.get_name());
                if sub.get_name() == "help" {
                    continue;
                }
                match sub.get_about() {
                    None => problems.push(format!("`{name}` has no description")),
                    Some(a) => {
                        let a = a.to_string();
                        if abouts.contains(&a) {
                            problems.push(format!("`{name}` repeats a sibling's description: {a}"));
                        }
                        abouts.push(a);
                    }
                }
                let help = sub.render_long_help().to_string();
                for bad in ["../", "shared/", "/work/", "/tmp/"] {
                    if help.contains(bad) {
                        problems.push(format!("`{name} --help` mentions `{bad}`"));
                    }
                }
                walk(sub, &name, problems);
            }
        }
        let mut cmd = super::Cli::command();
        cmd.build();
        let mut problems = Vec::new();
        walk(&mut cmd, "plimsoll", &mut problems);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

#[cfg(test)]
mod docs_tests {
    use crate::docs_commands::*;
    use clap::Parser;
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// Every `plimsoll ...` the README and docs/ show parses with this
    /// binary: a renamed flag or subcommand fails here, not in a user's
    /// terminal.
    #[test]
    fn every_documented_command_parses() {
        let mut seen = 0;
        let mut problems = Vec::new();
        for file in documentation(&root()) {
            for block in blocks(&file) {
                for (line, args) in invocations(&block) {
                    seen += 1;
                    let argv = std::iter::once("plimsoll".to_string()).chain(args.iter().cloned());
                    match crate::cli::Cli::try_parse_from(argv) {
                        Ok(_) => {}
                        // `--help`/`--version` "fail" with their own output.
                        Err(e)
                            if matches!(
                                e.kind(),
                                clap::error::ErrorKind::DisplayHelp
                                    | clap::error::ErrorKind::DisplayVersion
                                    | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                            ) => {}
                        Err(e) => problems.push(format!(
                            "{}:{line}: plimsoll {}\n  {}",
                            file.strip_prefix(root()).unwrap_or(&file).display(),
                            args.join(" "),
                            e.to_string().lines().next().unwrap_or("")
                        )),
                    }
                }
            }
        }
        assert!(seen > 50, "only {seen} documented commands found");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn invocations_are_extracted_like_a_shell_reads_them() {
        let b = Block {
            line: 1,
            info: "sh".into(),
            fixture: None,
            text: "plimsoll check --format json -o r.json   # JSON\nplimsoll pin \\\n  --fix && plimsoll rules | head\ncargo run --locked -p plimsoll -- check examples/ > out\necho plimsoll\n".into(),
        };
        let got: Vec<Vec<String>> = invocations(&b).into_iter().map(|(_, a)| a).collect();
        assert_eq!(
            got,
            vec![
                vec!["check", "--format", "json", "-o", "r.json"],
                vec!["pin", "--fix"],
                vec!["rules"],
                vec!["check", "examples/"],
            ]
        );
    }
}

#[cfg(test)]
mod docs_config_tests {
    use crate::docs_commands::{blocks, documentation};
    use std::path::Path;

    /// Every `toml` block in README and docs/ is a plimsoll.toml (or part
    /// of one) that the config loader accepts: a renamed key fails here.
    #[test]
    fn every_documented_config_parses() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut seen = 0;
        let mut problems = Vec::new();
        for file in documentation(&root) {
            for block in blocks(&file).into_iter().filter(|b| b.info == "toml") {
                // Cargo manifests in the plugin docs are not plimsoll.toml.
                if block.text.contains("[package]") || block.text.contains("[dependencies]") {
                    continue;
                }
                seen += 1;
                // A config that extends another is loaded where the file it
                // names exists (empty), three directories down a scratch tree.
                let extends = block
                    .text
                    .parse::<toml::Table>()
                    .ok()
                    .and_then(|t| t.get("extend").and_then(|e| e.as_str()).map(String::from));
                let parsed = match extends {
                    Some(ext) => {
                        let tmp = tempfile::tempdir().unwrap();
                        let here = tmp.path().join("a/b/c");
                        std::fs::create_dir_all(&here).unwrap();
                        let parent = here.join(&ext);
                        std::fs::create_dir_all(parent.parent().unwrap()).unwrap();
                        std::fs::write(&parent, "").unwrap();
                        std::fs::write(here.join("plimsoll.toml"), &block.text).unwrap();
                        plimsoll_config::LoadedConfig::load(&here.join("plimsoll.toml"))
                    }
                    None => plimsoll_config::LoadedConfig::parse(
                        Path::new("plimsoll.toml"),
                        &block.text,
                    ),
                };
                if let Err(e) = parsed {
                    problems.push(format!(
                        "{}:{}: {e}",
                        file.strip_prefix(&root).unwrap_or(&file).display(),
                        block.line
                    ));
                }
            }
        }
        assert!(seen >= 5, "only {seen} config blocks");
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }
}
