//! The services behind plimsoll's host capabilities, one per WIT interface
//! a plugin may import: `registry` ([`RegistryAccess`], over plimsoll-oci),
//! `signatures` ([`SignatureVerifier`], over plimsoll-sigstore),
//! `vulnerabilities` (the OSV database, [`RunDb`]), `packages`
//! ([`ImageInventories`]), and the `image` view of the image a call checks
//! ([`View`], [`SbomView`]). The host (`plimsoll-host`) only knows the
//! traits; the binary builds a [`RunServices`] from its flags and config and
//! hands [`RunServices::host_services`] to the host.
//!
//! All of a run's services share one registry client, made on first use: a
//! run that never asks a registry pays nothing, and each reference is
//! resolved once per run.

mod image_view;
mod packages;
mod registry;
mod signatures;
pub mod vulnerabilities;

use std::sync::Arc;

pub use image_view::{SbomView, SharedInventory, View, inventory};
pub use packages::ImageInventories;
pub use registry::RegistryAccess;
pub use signatures::SignatureVerifier;
pub use vulnerabilities::{DbOptions, RunDb, Source};

use plimsoll_oci::RegistryOptions;

/// The services of one run.
pub struct RunServices {
    registry: Arc<RegistryAccess>,
    signatures: Arc<SignatureVerifier>,
    packages: Arc<ImageInventories>,
    vulnerabilities: Option<Arc<vulnerabilities::VulnerabilityData>>,
}

impl RunServices {
    /// Services over one registry client with `options`; `fatal`: registry
    /// failures are run errors (exit 3) rather than warnings.
    pub fn new(options: RegistryOptions, fatal: bool) -> RunServices {
        let registry = Arc::new(RegistryAccess::new(options, fatal));
        RunServices {
            signatures: Arc::new(SignatureVerifier::new(registry.clone())),
            packages: Arc::new(ImageInventories::new(registry.clone())),
            registry,
            vulnerabilities: None,
        }
    }

    /// Answers `vulnerabilities` queries from `db`.
    pub fn with_vulndb(mut self, db: RunDb) -> Self {
        self.vulnerabilities = Some(Arc::new(vulnerabilities::VulnerabilityData {
            db,
            registry: self.registry.clone(),
        }));
        self
    }

    /// Whether the run has vulnerability data to match against.
    pub fn has_vulnerability_data(&self) -> bool {
        self.vulnerabilities
            .as_ref()
            .is_some_and(|v| v.db.has_data())
    }

    /// The registry client and the failures it met.
    pub fn registry(&self) -> &RegistryAccess {
        &self.registry
    }

    /// The signature verifier.
    pub fn signatures(&self) -> &SignatureVerifier {
        &self.signatures
    }

    /// What the host's capabilities call.
    pub fn host_services(&self) -> plimsoll_host::Services {
        plimsoll_host::Services {
            registry: Some(self.registry.clone()),
            signatures: Some(self.signatures.clone()),
            vulnerabilities: self
                .vulnerabilities
                .clone()
                .map(|v| v as Arc<dyn plimsoll_host::VulnerabilityService>),
            packages: Some(self.packages.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use plimsoll_host::{HostError, RegistryService};

    use super::*;

    fn offline(fatal: bool) -> RunServices {
        RunServices::new(
            RegistryOptions {
                offline: true,
                cache_dir: None,
                ..RegistryOptions::default()
            },
            fatal,
        )
    }

    #[test]
    fn every_capability_shares_the_one_registry_client() {
        let run = offline(true);
        let host = run.host_services();
        // Offline with nothing cached: the registry cannot answer, and a
        // fatal run keeps that as a run error, once.
        let r = host.registry.as_ref().unwrap().resolve("alpine:3.19");
        assert!(matches!(r, Err(HostError::Unavailable(_))), "{r:?}");
        let again = run.registry().resolve("alpine:3.19");
        assert!(matches!(again, Err(HostError::Unavailable(_))), "{again:?}");
        let errors = run.registry().take_errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].kind, "registry-offline");
    }

    #[test]
    fn an_unreachable_registry_is_a_warning_when_the_run_is_not_fatal() {
        let run = offline(false);
        assert!(run.registry().resolve("alpine:3.19").is_err());
        assert!(run.registry().take_errors().is_empty());
    }

    #[test]
    fn no_database_no_vulnerability_service() {
        let run = offline(true);
        assert!(run.host_services().vulnerabilities.is_none());
        assert!(!run.has_vulnerability_data());
    }

    #[test]
    fn plugins_may_ask_about_registry_images_only() {
        let run = offline(true);
        let packages = run.host_services().packages.unwrap();
        for local in ["oci:/tmp/layout", "docker-archive:/tmp/a.tar"] {
            let r = packages.image_inventory(local);
            assert!(
                matches!(r, Err(HostError::InvalidInput(_))),
                "{local}: {r:?}"
            );
        }
    }
}
