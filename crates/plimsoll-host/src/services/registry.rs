//! The `registry` capability's service: tags to digests, manifests, tag
//! lists.

use serde::{Deserialize, Serialize};

use super::HostError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformManifest {
    pub platform: Platform,
    pub digest: String,
    pub media_type: String,
}

/// A reference resolved to its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolved {
    pub canonical: String,
    pub digest: String,
    pub media_type: String,
    pub platforms: Vec<PlatformManifest>,
}

/// A verified manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub digest: String,
    pub media_type: String,
    pub body: String,
}

/// What the `registry` capability asks of the run.
pub trait RegistryService: Send + Sync {
    fn resolve(&self, reference: &str) -> Result<Resolved, HostError>;
    /// Resolves concurrently; the default asks one at a time.
    fn resolve_many(&self, references: &[String]) -> Vec<Result<Resolved, HostError>> {
        references.iter().map(|r| self.resolve(r)).collect()
    }
    fn fetch_manifest(&self, reference: &str) -> Result<Manifest, HostError>;
    fn list_tags(&self, repository: &str) -> Result<Vec<String>, HostError>;
}
