//! The `signatures` capability's service: verifying an image against an
//! authority.

use super::HostError;

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

/// What the `signatures` capability asks of the run.
pub trait SignatureService: Send + Sync {
    /// The signatures of `reference` that `authority` made and `options`
    /// accept.
    fn verify(
        &self,
        reference: &str,
        authority: &Authority,
        options: &VerifyOptions,
    ) -> Result<Vec<VerifiedSignature>, VerifyError>;
    /// The attestations of `reference` signed by `authority`, of
    /// `predicate_type` when given.
    fn verify_attestations(
        &self,
        reference: &str,
        authority: &Authority,
        options: &VerifyOptions,
        predicate_type: Option<&str>,
    ) -> Result<Vec<Attestation>, VerifyError>;
}
