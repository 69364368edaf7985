//! The host's `registry` capability, backed by plimsoll-oci. The client is
//! created on first use (a run that never asks a registry pays nothing) and
//! shared by every plugin and worker thread, so each reference is resolved
//! once per run.
//!
//! Failures other than "not found" (which is a finding) are kept: `plimsoll
//! pin` reports them as run errors (exit 3); `plimsoll check` warns once per
//! registry and lets the pin plugin note what it could not verify.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use plimsoll_config::LoadedConfig;
use plimsoll_host::{
    Attestation, Authority, HostError, Manifest, Platform, PlatformManifest, Resolved, Services,
    VerifiedSignature, VerifyError, VerifyOptions,
};
use plimsoll_oci::{ErrorKind, Registry, RegistryError, RegistryOptions};
use plimsoll_report::RunError;

use crate::cli::GlobalArgs;

pub struct RegistryServices {
    options: RegistryOptions,
    client: OnceLock<Result<Registry, RegistryError>>,
    /// Registry failures are run errors (exit 3) rather than warnings.
    fatal: bool,
    errors: Mutex<Vec<RunError>>,
    seen: Mutex<HashSet<String>>,
    /// Verifications already made this run: a base image shared by many
    /// Dockerfiles is fetched and checked once per authority.
    verified: Mutex<HashMap<(String, Authority, VerifyOptions), VerificationSlot>>,
    /// The local vulnerability database, and whether it may be updated.
    vulndb: Option<crate::vulndb::RunDb>,
    /// Inventories of images plugins asked about (`packages.of-image`).
    inventories: Mutex<HashMap<String, InventorySlot>>,
}

type Verification = Result<Vec<VerifiedSignature>, VerifyError>;

/// An authority ready to verify with.
enum Signer {
    Key(
        plimsoll_sigstore::KeyAuthority,
        plimsoll_sigstore::KeyOptions,
    ),
    Keyless(Box<plimsoll_sigstore::KeylessAuthority>),
}

fn verified_signature(v: plimsoll_sigstore::Verified) -> VerifiedSignature {
    VerifiedSignature {
        method: v.method.to_string(),
        identity: v.identity,
        issuer: v.issuer,
        key_id: v.key_id,
        annotations: v.annotations.into_iter().collect(),
        log_entry: v.log_index.zip(v.integrated_time),
    }
}
type InventorySlot = Arc<OnceLock<Result<plimsoll_packages::Inventory, HostError>>>;
type VerificationSlot = Arc<OnceLock<Verification>>;

/// Registry options from the command line and `[registry]`.
pub fn options(global: &GlobalArgs, cfg: &LoadedConfig) -> RegistryOptions {
    let base = cfg.base_dir();
    let mut ca_files: Vec<PathBuf> = cfg
        .config
        .registry
        .ca_files
        .iter()
        .map(|f| base.join(f))
        .collect();
    ca_files.extend(global.ca_file.iter().cloned());
    let r = &cfg.config.registry;
    let defaults = RegistryOptions::default();
    RegistryOptions {
        ca_files,
        insecure: r.insecure.clone(),
        offline: global.offline,
        cache_dir: global.cache_root().map(|d| d.join("registry")),
        tag_ttl: r
            .tag_ttl_seconds
            .map(Duration::from_secs)
            .unwrap_or(defaults.tag_ttl),
        timeout: r
            .timeout_seconds
            .map(|s| Duration::from_secs(s.max(1)))
            .unwrap_or(defaults.timeout),
        retries: r.retries.unwrap_or(defaults.retries),
        ..defaults
    }
}

fn host_error(e: RegistryError) -> HostError {
    match e.kind {
        ErrorKind::NotFound => HostError::NotFound(e.message),
        ErrorKind::Unauthorized => HostError::Unauthorized(e.message),
        ErrorKind::Denied => HostError::Denied(e.message),
        ErrorKind::RateLimited => HostError::RateLimited(e.retry_after),
        ErrorKind::Timeout => HostError::Timeout,
        ErrorKind::Unavailable | ErrorKind::Offline => HostError::Unavailable(e.message),
        ErrorKind::InvalidReference => HostError::InvalidInput(e.message),
        ErrorKind::DigestMismatch | ErrorKind::Protocol | ErrorKind::Config => {
            HostError::Other(e.message)
        }
    }
}

impl RegistryServices {
    pub fn new(options: RegistryOptions, fatal: bool) -> RegistryServices {
        RegistryServices {
            options,
            client: OnceLock::new(),
            fatal,
            errors: Mutex::default(),
            seen: Mutex::default(),
            verified: Mutex::default(),
            vulndb: None,
            inventories: Mutex::default(),
        }
    }

    /// Opens an image of any source; registry images go through this run's
    /// client (credentials, CA files, cache, `--offline`).
    pub fn open_image(
        &self,
        reference: &str,
        platform: Option<&plimsoll_oci::Platform>,
    ) -> Result<plimsoll_oci::Image, plimsoll_oci::ImageError> {
        let client = match plimsoll_oci::ImageSource::parse(reference) {
            plimsoll_oci::ImageSource::Registry(_) => {
                Some(self.client().as_ref().map_err(|e| e.clone())?)
            }
            _ => None,
        };
        plimsoll_oci::Image::open(reference, client, platform, plimsoll_oci::Limits::default())
    }

    /// Answers `vulnerabilities` queries from `db`.
    pub fn with_vulndb(mut self, db: crate::vulndb::RunDb) -> Self {
        self.vulndb = Some(db);
        self
    }

    /// Whether the run has vulnerability data to match against.
    pub fn has_vulnerability_data(&self) -> bool {
        self.vulndb.as_ref().is_some_and(|d| d.has_data())
    }

    /// Checks what can be checked before any request (the CA files): a bad
    /// `--ca-file` is a usage error, not a per-reference failure.
    pub fn validate(&self) -> Result<(), RegistryError> {
        plimsoll_oci::read_ca_files(&self.options.ca_files).map(|_| ())
    }

    /// The failure of a verification as the plugin sees it: a registry
    /// problem is the host's (and noted as a run error when fatal).
    fn verify_failed(&self, f: plimsoll_sigstore::Failure) -> VerifyError {
        match f.registry_kind {
            Some(kind) => VerifyError::Host(
                self.note::<()>(Err(RegistryError::new(kind, f.message)))
                    .unwrap_err(),
            ),
            None => VerifyError::Failed {
                kind: f.kind.as_str().to_string(),
                message: f.message,
            },
        }
    }

    /// The registry client, the image's digest, and the authority in
    /// plimsoll-sigstore's terms.
    fn prepare(
        &self,
        reference: &str,
        authority: &Authority,
        options: &VerifyOptions,
    ) -> Result<(&Registry, plimsoll_sigstore::Subject, Signer), VerifyError> {
        let client = match self.client() {
            Ok(c) => c,
            Err(e) => return Err(VerifyError::Host(host_error(e.clone()))),
        };
        let failed = |f| self.verify_failed(f);
        let tlog = match options.tlog.as_str() {
            "" => None,
            t => Some(
                plimsoll_sigstore::cosign_sig::Tlog::parse(t).ok_or_else(|| {
                    VerifyError::Failed {
                        kind: "invalid-authority".into(),
                        message: format!(
                            "tlog must be \"required\", \"optional\" or \"ignore\", not `{t}`"
                        ),
                    }
                })?,
            ),
        };
        let subject = plimsoll_sigstore::Subject::resolve(client, reference).map_err(failed)?;
        let signer =
            match authority {
                Authority::Key {
                    pem,
                    docker_reference,
                } => {
                    let key = plimsoll_sigstore::KeyAuthority::from_pem(pem.as_bytes(), "the key")
                        .map_err(failed)?;
                    let trust = match &options.trusted_root {
                        Some(root) => Some(
                            plimsoll_sigstore::cosign_sig::Trust::from_trusted_root(
                                root.as_bytes(),
                                "the trusted root",
                            )
                            .map_err(failed)?,
                        ),
                        None => None,
                    };
                    Signer::Key(
                        key,
                        plimsoll_sigstore::KeyOptions {
                            check_reference: docker_reference.clone(),
                            tlog: tlog.unwrap_or(plimsoll_sigstore::cosign_sig::Tlog::Optional),
                            trust,
                        },
                    )
                }
                Authority::Keyless {
                    identity,
                    identity_is_regex,
                    issuer,
                    issuer_is_regex,
                    trusted_root,
                } => {
                    use plimsoll_sigstore::Matcher;
                    let mut authority = plimsoll_sigstore::KeylessAuthority::new(
                        Matcher::new(identity, *identity_is_regex).map_err(failed)?,
                        Matcher::new(issuer, *issuer_is_regex).map_err(failed)?,
                        trusted_root.as_bytes(),
                        "the trusted root",
                    )
                    .map_err(failed)?;
                    for (name, value, is_regex) in &options.claims {
                        let claim = plimsoll_sigstore::cosign_sig::Claim::from_name(name)
                            .ok_or_else(|| VerifyError::Failed {
                                kind: "invalid-authority".into(),
                                message: format!("unknown certificate claim `{name}`"),
                            })?;
                        authority
                            .claims
                            .push((claim, Matcher::new(value, *is_regex).map_err(failed)?));
                    }
                    if let Some(t) = tlog {
                        authority.tlog = t;
                    }
                    Signer::Keyless(Box::new(authority))
                }
            };
        Ok((client, subject, signer))
    }

    /// cosign key-based signatures and keyless bundles of `reference`.
    fn verify_uncached(
        &self,
        reference: &str,
        authority: &Authority,
        options: &VerifyOptions,
    ) -> Verification {
        let (client, subject, signer) = self.prepare(reference, authority, options)?;
        let verified = match &signer {
            Signer::Key(key, opts) => plimsoll_sigstore::verify_key(client, &subject, key, opts),
            Signer::Keyless(authority) => {
                plimsoll_sigstore::verify_keyless(client, &subject, authority)
            }
        }
        .map_err(|f| self.verify_failed(f))?;
        Ok(verified.into_iter().map(verified_signature).collect())
    }

    /// The registry client, made on first use.
    pub fn client(&self) -> &Result<Registry, RegistryError> {
        self.client
            .get_or_init(|| Registry::new(self.options.clone()))
    }

    /// Requests made, when the client was used.
    pub fn stats(&self) -> Option<plimsoll_oci::StatsSnapshot> {
        match self.client.get() {
            Some(Ok(r)) => Some(r.stats()),
            _ => None,
        }
    }

    /// The failures to report as run errors.
    pub fn take_errors(&self) -> Vec<RunError> {
        std::mem::take(&mut *self.errors.lock().unwrap())
    }

    fn note<T>(&self, r: Result<T, RegistryError>) -> Result<T, HostError> {
        r.map_err(|e| {
            let benign = matches!(e.kind, ErrorKind::NotFound | ErrorKind::InvalidReference)
                || (e.kind == ErrorKind::Offline && !self.fatal);
            if !benign && self.seen.lock().unwrap().insert(e.message.clone()) {
                if self.fatal {
                    self.errors.lock().unwrap().push(RunError {
                        kind: format!("registry-{}", e.kind.as_str()),
                        plugin: None,
                        target: None,
                        message: e.message.clone(),
                        line: None,
                    });
                } else {
                    tracing::warn!(
                        "registry: {e}; pins it names are reported as unverified (PL6006)"
                    );
                }
            }
            host_error(e)
        })
    }
}

fn resolved(r: plimsoll_oci::Resolved) -> Resolved {
    Resolved {
        canonical: r.canonical,
        digest: r.digest,
        media_type: r.media_type,
        platforms: r
            .platforms
            .into_iter()
            .map(|p| PlatformManifest {
                platform: Platform {
                    os: p.platform.os,
                    architecture: p.platform.architecture,
                    variant: p.platform.variant,
                },
                digest: p.digest,
                media_type: p.media_type,
            })
            .collect(),
    }
}

impl Services for RegistryServices {
    fn resolve(&self, reference: &str) -> Result<Resolved, HostError> {
        let r = match self.client() {
            Ok(c) => c.resolve(reference),
            Err(e) => Err(e.clone()),
        };
        self.note(r).map(resolved)
    }

    fn resolve_many(&self, references: &[String]) -> Vec<Result<Resolved, HostError>> {
        match self.client() {
            Ok(c) => c
                .resolve_many(references)
                .into_iter()
                .map(|r| self.note(r).map(resolved))
                .collect(),
            Err(e) => references
                .iter()
                .map(|_| self.note::<Resolved>(Err(e.clone())))
                .collect(),
        }
    }

    fn fetch_manifest(&self, reference: &str) -> Result<Manifest, HostError> {
        let r = match self.client() {
            Ok(c) => c.manifest(reference),
            Err(e) => Err(e.clone()),
        };
        self.note(r).and_then(|f| {
            Ok(Manifest {
                digest: f.digest,
                media_type: f.media_type,
                body: String::from_utf8(f.body)
                    .map_err(|_| HostError::Other(format!("{reference}: manifest is not UTF-8")))?,
            })
        })
    }

    fn list_tags(&self, repository: &str) -> Result<Vec<String>, HostError> {
        let r = match self.client() {
            Ok(c) => c.list_tags(repository),
            Err(e) => Err(e.clone()),
        };
        self.note(r)
    }

    /// Signatures are fetched with the same client (and so the same
    /// credentials, CAs, cache and `--offline`) as everything else, once per
    /// (reference, authority) per run.
    fn vulnerabilities(
        &self,
        ecosystem: &str,
        package: &str,
    ) -> Result<Vec<plimsoll_vulndb::Vuln>, HostError> {
        let Some(db) = &self.vulndb else {
            return Err(HostError::Unavailable(
                "no vulnerability database is configured for this run".into(),
            ));
        };
        let client = || self.client().as_ref().map_err(|e| e.to_string());
        db.query(client, ecosystem, package)
            .map_err(|e| match e.kind {
                plimsoll_vulndb::DbErrorKind::Missing | plimsoll_vulndb::DbErrorKind::Stale => {
                    HostError::NotFound(e.message)
                }
                _ => HostError::Other(e.message),
            })
    }

    /// Pulls and reads the image once per run, for the default platform.
    fn image_inventory(&self, reference: &str) -> Result<plimsoll_packages::Inventory, HostError> {
        if !matches!(
            plimsoll_oci::ImageSource::parse(reference),
            plimsoll_oci::ImageSource::Registry(_)
        ) {
            return Err(HostError::InvalidInput(format!(
                "`{reference}`: plugins may ask about registry images only"
            )));
        }
        let slot = self
            .inventories
            .lock()
            .unwrap()
            .entry(reference.to_string())
            .or_default()
            .clone();
        slot.get_or_init(|| {
            let image = self.open_image(reference, None).map_err(|e| {
                HostError::Unavailable(format!("cannot read image {reference}: {e}"))
            })?;
            crate::image_view::inventory(&image)
                .map_err(|e| HostError::Other(format!("image {reference}: {e}")))
        })
        .clone()
    }

    fn verify_signature_with(
        &self,
        reference: &str,
        authority: &Authority,
        options: &VerifyOptions,
    ) -> Verification {
        let cell = self
            .verified
            .lock()
            .unwrap()
            .entry((reference.to_string(), authority.clone(), options.clone()))
            .or_default()
            .clone();
        cell.get_or_init(|| self.verify_uncached(reference, authority, options))
            .clone()
    }

    fn verify_attestations(
        &self,
        reference: &str,
        authority: &Authority,
        options: &VerifyOptions,
        predicate_type: Option<&str>,
    ) -> Result<Vec<Attestation>, VerifyError> {
        let (client, subject, signer) = self.prepare(reference, authority, options)?;
        let signer_ref = match &signer {
            Signer::Key(key, opts) => plimsoll_sigstore::AttestationSigner::Key(key, opts),
            Signer::Keyless(a) => plimsoll_sigstore::AttestationSigner::Keyless(a),
        };
        let found =
            plimsoll_sigstore::verify_attestations(client, &subject, signer_ref, predicate_type)
                .map_err(|f| self.verify_failed(f))?;
        Ok(found
            .into_iter()
            .map(|a| Attestation {
                predicate_type: a.predicate_type,
                statement: a.statement.to_string(),
                signer: verified_signature(a.verified),
            })
            .collect())
    }
}

/// Opens an image for a command (`sbom`, `debug packages`); an image that
/// cannot be read is reported on stderr and answers the exit code.
pub(crate) fn open_image_reporting(
    global: &GlobalArgs,
    reference: &str,
    platform: Option<&str>,
) -> anyhow::Result<Result<plimsoll_oci::Image, crate::ExitCode>> {
    let cwd = std::env::current_dir()?;
    let cfg = LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| crate::UsageError(format!("invalid configuration: {e}")))?;
    let platform = parse_platform(platform)?;
    let services = RegistryServices::new(options(global, &cfg), true);
    Ok(match services.open_image(reference, platform.as_ref()) {
        Ok(i) => Ok(i),
        Err(e) => {
            crate::diag!("error: {}: cannot read image {reference}: {e}", e.kind());
            Err(crate::ExitCode::CheckFailed)
        }
    })
}

/// `--platform os/arch[/variant]`.
pub fn parse_platform(
    platform: Option<&str>,
) -> Result<Option<plimsoll_oci::Platform>, crate::UsageError> {
    platform
        .map(|p| {
            plimsoll_oci::Platform::parse(p).ok_or_else(|| {
                crate::UsageError(format!(
                    "--platform {p}: expected os/arch[/variant], e.g. linux/arm64"
                ))
            })
        })
        .transpose()
}
