//! The host's `registry` capability, backed by plimsoll-oci. The client is
//! created on first use (a run that never asks a registry pays nothing) and
//! shared by every plugin and worker thread, so each reference is resolved
//! once per run.
//!
//! Failures other than "not found" (which is a finding) are kept: `plimsoll
//! pin` reports them as run errors (exit 3); `plimsoll check` warns once per
//! registry and lets the pin plugin note what it could not verify.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use plimsoll_host::{HostError, Manifest, Platform, PlatformManifest, RegistryService, Resolved};
use plimsoll_oci::{ErrorKind, Registry, RegistryError, RegistryOptions};
use plimsoll_report::RunError;

/// The run's registry client and what its failures were.
pub struct RegistryAccess {
    options: RegistryOptions,
    client: OnceLock<Result<Registry, RegistryError>>,
    /// Registry failures are run errors (exit 3) rather than warnings.
    fatal: bool,
    errors: Mutex<Vec<RunError>>,
    seen: Mutex<HashSet<String>>,
}

pub(crate) fn host_error(e: RegistryError) -> HostError {
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

impl RegistryAccess {
    pub fn new(options: RegistryOptions, fatal: bool) -> RegistryAccess {
        RegistryAccess {
            options,
            client: OnceLock::new(),
            fatal,
            errors: Mutex::default(),
            seen: Mutex::default(),
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

    /// Checks what can be checked before any request (the CA files): a bad
    /// `--ca-file` is a usage error, not a per-reference failure.
    pub fn validate(&self) -> Result<(), RegistryError> {
        plimsoll_oci::read_ca_files(&self.options.ca_files).map(|_| ())
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

    /// A registry failure as the plugin sees it, kept as a run error (or
    /// warned about) once per message.
    pub(crate) fn note<T>(&self, r: Result<T, RegistryError>) -> Result<T, HostError> {
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

impl RegistryService for RegistryAccess {
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
}
