//! What the host's capabilities need from the run, one trait per WIT
//! interface a plugin may import (`registry`, `signatures`,
//! `vulnerabilities`, `packages`; `image` is per call). The host only
//! depends on these traits; the implementations (over the registry client,
//! sigstore, the OSV database, image readers) live in `plimsoll-services`,
//! and a plugin only reaches one if its config grants the capability.
//!
//! Adding a capability: its WIT interface, a trait here (a module of its
//! own), a field of [`Services`], the host side in
//! `capabilities/<interface>.rs`, and the implementation in
//! `plimsoll-services`.

mod image;
mod registry;
mod signatures;

use std::sync::Arc;

pub use image::{ImageEntry, ImageEntryKind, ImageLayer, ImageView};
pub use registry::{Manifest, Platform, PlatformManifest, RegistryService, Resolved};
pub use signatures::{
    Attestation, Authority, SignatureService, VerifiedSignature, VerifyError, VerifyOptions,
};

/// Why a host call failed (mirrors the WIT `host-error`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum HostError {
    Denied(String),
    NotFound(String),
    Unauthorized(String),
    Unavailable(String),
    Timeout,
    RateLimited(Option<u32>),
    InvalidInput(String),
    Other(String),
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostError::Denied(m) => write!(f, "denied: {m}"),
            HostError::NotFound(m) => write!(f, "not found: {m}"),
            HostError::Unauthorized(m) => write!(f, "unauthorized: {m}"),
            HostError::Unavailable(m) => write!(f, "unavailable: {m}"),
            HostError::Timeout => write!(f, "timed out"),
            HostError::RateLimited(Some(s)) => write!(f, "rate limited (retry after {s} s)"),
            HostError::RateLimited(None) => write!(f, "rate limited"),
            HostError::InvalidInput(m) => write!(f, "invalid input: {m}"),
            HostError::Other(m) => f.write_str(m),
        }
    }
}

/// What the `vulnerabilities` capability asks of the run.
pub trait VulnerabilityService: Send + Sync {
    /// The OSV records of `package` in `ecosystem` (`Debian:12`, `PyPI`).
    fn vulnerabilities(
        &self,
        ecosystem: &str,
        package: &str,
    ) -> Result<Vec<plimsoll_vulndb::Vuln>, HostError>;
}

/// What the `packages` capability asks of the run beyond the image being
/// checked (`packages.installed` comes from its [`ImageView`]).
pub trait PackageService: Send + Sync {
    /// The installed packages of another image (`packages.of-image`).
    fn image_inventory(&self, reference: &str) -> Result<plimsoll_packages::Inventory, HostError>;
}

/// The services of one run, one per capability; a missing one answers its
/// capability's calls with `unavailable`. The boundary types are the host's
/// own (this module's), except the OSV record and the package inventory,
/// which are the data crates' models.
#[derive(Clone, Default)]
pub struct Services {
    pub registry: Option<Arc<dyn RegistryService>>,
    pub signatures: Option<Arc<dyn SignatureService>>,
    pub vulnerabilities: Option<Arc<dyn VulnerabilityService>>,
    pub packages: Option<Arc<dyn PackageService>>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("registry", &self.registry.is_some())
            .field("signatures", &self.signatures.is_some())
            .field("vulnerabilities", &self.vulnerabilities.is_some())
            .field("packages", &self.packages.is_some())
            .finish()
    }
}

fn unavailable(what: &str) -> HostError {
    HostError::Unavailable(format!("no {what} is configured for this run"))
}

impl Services {
    pub(crate) fn registry(&self) -> Result<&dyn RegistryService, HostError> {
        self.registry
            .as_deref()
            .ok_or_else(|| unavailable("registry client"))
    }

    pub(crate) fn signatures(&self) -> Result<&dyn SignatureService, HostError> {
        self.signatures
            .as_deref()
            .ok_or_else(|| unavailable("signature verifier"))
    }

    pub(crate) fn vulnerabilities(&self) -> Result<&dyn VulnerabilityService, HostError> {
        self.vulnerabilities
            .as_deref()
            .ok_or_else(|| unavailable("vulnerability database"))
    }

    pub(crate) fn packages(&self) -> Result<&dyn PackageService, HostError> {
        self.packages
            .as_deref()
            .ok_or_else(|| unavailable("image reader"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_service_answers_unavailable_naming_what_is_missing() {
        let s = Services::default();
        let unavailable = |r: Result<(), HostError>, what: &str| match r {
            Err(HostError::Unavailable(m)) => assert!(m.contains(what), "{m}"),
            other => panic!("{what}: {other:?}"),
        };
        unavailable(s.registry().map(|_| ()), "registry client");
        unavailable(s.signatures().map(|_| ()), "signature verifier");
        unavailable(s.vulnerabilities().map(|_| ()), "vulnerability database");
        unavailable(s.packages().map(|_| ()), "image reader");
    }
}
