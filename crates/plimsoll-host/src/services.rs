//! Host capabilities behind the WIT imports (registry, and later image,
//! signatures, vulnerabilities). The CLI provides the real implementations; a
//! plugin only reaches them if its config grants the capability.

/// Why a host call failed (mirrors the WIT `host-error`).
#[derive(Debug, Clone, PartialEq, Eq)]
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformManifest {
    pub platform: Platform,
    pub digest: String,
    pub media_type: String,
}

/// A reference resolved to its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub canonical: String,
    pub digest: String,
    pub media_type: String,
    pub platforms: Vec<PlatformManifest>,
}

/// A verified manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub digest: String,
    pub media_type: String,
    pub body: String,
}

/// Who must have signed (mirrors the WIT `authority`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Authority {
    /// PEM public key, and the repository the payload's docker-reference
    /// must name (none: not checked).
    Key {
        pem: String,
        docker_reference: Option<String>,
    },
    Keyless {
        identity: String,
        identity_is_regex: bool,
        issuer: String,
        issuer_is_regex: bool,
        trusted_root: String,
    },
}

/// A signature that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSignature {
    pub method: String,
    pub identity: Option<String>,
    pub issuer: Option<String>,
    pub key_id: Option<String>,
    pub annotations: Vec<(String, String)>,
    /// The transparency-log entry checked with it: (index, integrated time).
    pub log_entry: Option<(i64, i64)>,
}

/// What a verification requires besides the authority (mirrors the WIT
/// `verify-options`; the default is what `verify` does).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct VerifyOptions {
    /// `required`, `optional` or `ignore`; empty: the authority's default
    /// (required for keyless, optional for keys).
    pub tlog: String,
    /// Key authorities: a trusted root whose log keys check Rekor bundles.
    pub trusted_root: Option<String>,
    /// Keyless: (claim name, value, is regex).
    pub claims: Vec<(String, String, bool)>,
}

/// An in-toto attestation that verified (mirrors the WIT `attestation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    pub predicate_type: String,
    /// The in-toto statement, JSON.
    pub statement: String,
    pub signer: VerifiedSignature,
}

/// Why a verification did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// It ran and the image does not satisfy the authority (`kind` as in the WIT).
    Failed { kind: String, message: String },
    /// It could not run.
    Host(HostError),
}

/// What the host can do for plugins.
pub trait Services: Send + Sync {
    fn resolve(&self, reference: &str) -> Result<Resolved, HostError>;
    /// Resolves concurrently; the default asks one at a time.
    fn resolve_many(&self, references: &[String]) -> Vec<Result<Resolved, HostError>> {
        references.iter().map(|r| self.resolve(r)).collect()
    }
    fn fetch_manifest(&self, reference: &str) -> Result<Manifest, HostError>;
    fn list_tags(&self, repository: &str) -> Result<Vec<String>, HostError>;
    /// Vulnerability records for a package; the default has no database.
    fn vulnerabilities(
        &self,
        _ecosystem: &str,
        _package: &str,
    ) -> Result<Vec<plimsoll_vulndb::Vuln>, HostError> {
        Err(HostError::Unavailable(
            "no vulnerability database is configured for this run".into(),
        ))
    }
    /// The packages of another image (`packages.of-image`); the default
    /// reads no images.
    fn image_inventory(&self, _reference: &str) -> Result<plimsoll_packages::Inventory, HostError> {
        Err(HostError::Unavailable(
            "no image reader is configured for this run".into(),
        ))
    }
    /// Signature verification; the default has none.
    fn verify_signature(
        &self,
        reference: &str,
        authority: &Authority,
    ) -> Result<Vec<VerifiedSignature>, VerifyError> {
        self.verify_signature_with(reference, authority, &VerifyOptions::default())
    }
    /// Signature verification with options; the default has none.
    fn verify_signature_with(
        &self,
        _reference: &str,
        _authority: &Authority,
        _options: &VerifyOptions,
    ) -> Result<Vec<VerifiedSignature>, VerifyError> {
        Err(VerifyError::Host(HostError::Unavailable(
            "no signature verifier is configured for this run".into(),
        )))
    }
    /// The attestations of an image signed by `authority`; the default has
    /// no verifier.
    fn verify_attestations(
        &self,
        _reference: &str,
        _authority: &Authority,
        _options: &VerifyOptions,
        _predicate_type: Option<&str>,
    ) -> Result<Vec<Attestation>, VerifyError> {
        Err(VerifyError::Host(HostError::Unavailable(
            "no signature verifier is configured for this run".into(),
        )))
    }
}

/// Services for a run without registry access configured.
#[derive(Debug, Default)]
pub struct NoServices;

impl Services for NoServices {
    fn resolve(&self, _reference: &str) -> Result<Resolved, HostError> {
        Err(HostError::Unavailable(
            "no registry client is configured for this run".into(),
        ))
    }
    fn fetch_manifest(&self, _reference: &str) -> Result<Manifest, HostError> {
        Err(HostError::Unavailable(
            "no registry client is configured for this run".into(),
        ))
    }
    fn list_tags(&self, _repository: &str) -> Result<Vec<String>, HostError> {
        Err(HostError::Unavailable(
            "no registry client is configured for this run".into(),
        ))
    }
}

/// One layer of the image being checked (mirrors the WIT `image.layer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLayer {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    pub uncompressed_size: u64,
    pub entries: u32,
}

/// What a filesystem entry is (mirrors the WIT `image.entry-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageEntryKind {
    File,
    Directory,
    Symlink,
    Hardlink,
    Other,
}

/// One entry of the image's filesystem (mirrors the WIT `image.entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEntry {
    pub path: String,
    pub kind: ImageEntryKind,
    pub size: u64,
    pub mode: u32,
    pub layer: u32,
    pub link_target: Option<String>,
    pub hidden_by: Option<u32>,
}

/// The image of one `check-image` call, as the `image` capability shows it.
/// Implemented by the caller over its image reader.
pub trait ImageView: Send + Sync {
    fn config(&self) -> String;
    fn manifest(&self) -> String;
    fn layers(&self) -> Vec<ImageLayer>;
    fn read_file(&self, path: &str, max: u64) -> Result<Vec<u8>, HostError>;
    fn list_dir(&self, path: &str) -> Result<Vec<ImageEntry>, HostError>;
    fn glob(&self, pattern: &str, limit: usize) -> Result<Vec<ImageEntry>, HostError>;
    fn layer_entries(&self, layer: u32, limit: usize) -> Result<Vec<ImageEntry>, HostError>;
    fn read_layer_file(&self, layer: u32, path: &str, max: u64) -> Result<Vec<u8>, HostError>;
    /// The installed packages (`packages.installed`): read from the image's
    /// package databases, or listed by an SBOM.
    fn inventory(&self) -> Result<plimsoll_packages::Inventory, HostError>;
}
