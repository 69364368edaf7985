//! Signature verification for plimsoll, on the host (plugins never run crypto):
//!
//! - cosign's key-based `.sig` layout: the tag `sha256-<hex>.sig` next to the
//!   image holds one layer per signature, a simple-signing JSON payload with
//!   the signature in the `dev.cosignproject.cosign/signature` annotation. We
//!   fetch it with plimsoll's own registry client (credentials, CAs, cache,
//!   `--offline`), check the signature with the `sigstore` crate's
//!   `CosignVerificationKey`, then check that the payload names the image's
//!   digest (and, when asked, its docker-reference).
//! - Sigstore bundles (v0.1–v0.3, keyless): certificate chain to the Fulcio CAs
//!   of a `trusted_root.json`, embedded SCT, signature or DSSE envelope over the
//!   image digest, transparency-log entry consistent with the bundle, signing
//!   time inside the certificate's validity — all by the `sigstore` crate's
//!   bundle verifier — then the certificate's identity (SAN) and OIDC issuer
//!   matched exactly or by regular expression, as `cosign verify
//!   --certificate-identity[-regexp] --certificate-oidc-issuer[-regexp]` do.
//!
//! Every failure says which check failed and why ([`FailureKind`]).

use std::collections::BTreeMap;
use std::sync::Mutex;

pub mod cosign_sig;

use base64::Engine;
use plimsoll_oci::{ErrorKind as RegistryErrorKind, ImageRef, Registry, RegistryError};
use serde::Serialize;
use sha2::Digest;
use sigstore::bundle::Bundle;
use sigstore::bundle::verify::policy::{PolicyError, VerificationPolicy};
use sigstore::bundle::verify::{ArtifactDigest, VerificationError, blocking::Verifier};
use sigstore::crypto::CosignVerificationKey;

/// Media type of a cosign simple-signing payload layer.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Annotation holding the base64 signature over the payload.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// Payloads larger than this are refused (cosign's are a few hundred bytes).
const MAX_PAYLOAD: usize = 1 << 20;

/// Why an image did not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// No signature was found for the image's digest.
    Unsigned,
    /// A signature exists but does not verify with the key (another key
    /// signed it, or the payload was changed after signing).
    BadSignature,
    /// The signed payload names another image digest.
    DigestMismatch,
    /// The signed payload names another repository (docker-reference check).
    ReferenceMismatch,
    /// The certificate's identity (SAN) is not the one required.
    IdentityMismatch,
    /// The certificate's OIDC issuer is not the one required.
    IssuerMismatch,
    /// The certificate does not chain to the trusted root, its SCT does not
    /// verify, or it was not valid when the signature was logged.
    UntrustedCertificate,
    /// The bundle is malformed or inconsistent (signature, log entry).
    InvalidBundle,
    /// The key or trusted root could not be read.
    InvalidAuthority,
    /// The registry could not be asked (see the message).
    Registry,
    /// The signing certificate was not valid when the signature was made
    /// (the transparency log's time, or now without one).
    CertificateExpired,
    /// The transparency-log bundle's signed entry timestamp does not verify
    /// with the key of the log it names, or names a log not trusted.
    TlogSetInvalid,
    /// The policy requires a transparency-log entry and there is none.
    TlogMissing,
    /// The transparency-log entry is about another signature, payload,
    /// certificate or key.
    TlogEntryMismatch,
    /// An attestation's predicate is not of the required type or content.
    PredicateMismatch,
    /// The provenance names a builder that is not trusted or required.
    BuilderMismatch,
    /// The provenance names another source repository.
    SourceMismatch,
    /// The image was built from another branch.
    BranchMismatch,
    /// The image was not built from the required tag.
    TagMismatch,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Unsigned => "unsigned",
            FailureKind::BadSignature => "bad-signature",
            FailureKind::DigestMismatch => "digest-mismatch",
            FailureKind::ReferenceMismatch => "reference-mismatch",
            FailureKind::IdentityMismatch => "identity-mismatch",
            FailureKind::IssuerMismatch => "issuer-mismatch",
            FailureKind::UntrustedCertificate => "untrusted-certificate",
            FailureKind::InvalidBundle => "invalid-bundle",
            FailureKind::InvalidAuthority => "invalid-authority",
            FailureKind::Registry => "registry",
            FailureKind::CertificateExpired => "certificate-expired",
            FailureKind::TlogSetInvalid => "tlog-set-invalid",
            FailureKind::TlogMissing => "tlog-missing",
            FailureKind::TlogEntryMismatch => "tlog-entry-mismatch",
            FailureKind::PredicateMismatch => "predicate-mismatch",
            FailureKind::BuilderMismatch => "builder-mismatch",
            FailureKind::SourceMismatch => "source-mismatch",
            FailureKind::BranchMismatch => "branch-mismatch",
            FailureKind::TagMismatch => "tag-mismatch",
        }
    }
}

/// A failed verification: which check, and a sentence saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
    /// For [`FailureKind::Registry`]: what the registry client said.
    pub registry_kind: Option<RegistryErrorKind>,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            registry_kind: None,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Failure {
        Failure {
            kind: FailureKind::Registry,
            message: e.message.clone(),
            registry_kind: Some(e.kind),
        }
    }
}

/// One signature that verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// `key` or `keyless`.
    pub method: &'static str,
    /// Keyless: the certificate's SAN (URI or email).
    pub identity: Option<String>,
    /// Keyless: the OIDC issuer in the certificate.
    pub issuer: Option<String>,
    /// Key-based: `sha256:` of the public key's DER (SubjectPublicKeyInfo).
    pub key_id: Option<String>,
    /// The payload's docker-reference (key-based).
    pub docker_reference: Option<String>,
    /// cosign `-a key=value` annotations from the payload's `optional` map.
    pub annotations: BTreeMap<String, String>,
    /// The transparency-log entry's index, when one was checked.
    pub log_index: Option<i64>,
    /// When the log says the signature was made (Unix seconds).
    pub integrated_time: Option<i64>,
}

/// A public key authority: PEM (SubjectPublicKeyInfo; ECDSA P-256/P-384,
/// RSA, Ed25519).
pub struct KeyAuthority {
    key: CosignVerificationKey,
    key_id: String,
    /// The key's DER (SubjectPublicKeyInfo), to compare with log entries.
    der: Vec<u8>,
}

impl KeyAuthority {
    /// `what` names the key in errors (a path, or "inline key").
    pub fn from_pem(pem: &[u8], what: &str) -> Result<KeyAuthority, Failure> {
        let key = CosignVerificationKey::try_from_pem(pem).map_err(|e| {
            Failure::new(
                FailureKind::InvalidAuthority,
                format!("{what}: not a usable public key (PEM SubjectPublicKeyInfo expected): {e}"),
            )
        })?;
        let der = pem_body(pem).unwrap_or_default();
        let key_id = format!("sha256:{}", hex::encode(sha2::Sha256::digest(&der)));
        Ok(KeyAuthority { key, key_id, der })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

fn pem_body(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let b64: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()
}

/// How a certificate field must match: exactly, or by a regular expression
/// (unanchored, as cosign's `--certificate-identity-regexp`; anchor it with
/// `^...$` for a whole-value match).
#[derive(Debug, Clone)]
pub enum Matcher {
    Exact(String),
    Regex(regex::Regex),
}

impl Matcher {
    /// `value` exactly, or as a regular expression when `is_regex`.
    pub fn new(value: &str, is_regex: bool) -> Result<Matcher, Failure> {
        if is_regex {
            Matcher::regex(value)
        } else {
            Ok(Matcher::Exact(value.to_string()))
        }
    }

    pub fn regex(pattern: &str) -> Result<Matcher, Failure> {
        regex::Regex::new(pattern).map(Matcher::Regex).map_err(|e| {
            Failure::new(
                FailureKind::InvalidAuthority,
                format!("invalid regular expression `{pattern}`: {e}"),
            )
        })
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == value,
            Matcher::Regex(r) => r.is_match(value),
        }
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            Matcher::Exact(s) => format!("`{s}`"),
            Matcher::Regex(r) => format!("a match for /{}/", r.as_str()),
        }
    }
}

/// A keyless authority: who must have signed, and the trust root.
pub struct KeylessAuthority {
    pub identity: Matcher,
    pub issuer: Matcher,
    /// Fulcio claims the certificate must also carry (GitHub workflow...).
    pub claims: Vec<(cosign_sig::Claim, Matcher)>,
    /// The transparency log of cosign v2 `.sig` signatures (`Ignore` means
    /// the certificate is checked now, when a Fulcio one has expired).
    pub tlog: cosign_sig::Tlog,
    verifier: Verifier,
    /// The same trusted root, for cosign v2 `.sig` signatures.
    trust: cosign_sig::Trust,
}

impl KeylessAuthority {
    /// `trusted_root` is a Sigstore `trusted_root.json` (the production one,
    /// or a private instance's); `what` names it in errors.
    pub fn new(
        identity: Matcher,
        issuer: Matcher,
        trusted_root: &[u8],
        what: &str,
    ) -> Result<KeylessAuthority, Failure> {
        let bad = |e: &dyn std::fmt::Display| {
            Failure::new(
                FailureKind::InvalidAuthority,
                format!("{what}: not a usable Sigstore trusted root: {e}"),
            )
        };
        let root = sigstore::trust::sigstore::SigstoreTrustRoot::from_trusted_root_json_unchecked(
            trusted_root,
        )
        .map_err(|e| bad(&e))?;
        let verifier = Verifier::new(Default::default(), root).map_err(|e| bad(&e))?;
        let trust = cosign_sig::Trust::from_trusted_root(trusted_root, what)?;
        Ok(KeylessAuthority {
            identity,
            issuer,
            claims: Vec::new(),
            tlog: cosign_sig::Tlog::Required,
            verifier,
            trust,
        })
    }
}

impl KeylessAuthority {
    fn certificate_policy(&self) -> cosign_sig::CertificatePolicy {
        cosign_sig::CertificatePolicy {
            identity: self.identity.clone(),
            issuer: self.issuer.clone(),
            claims: self.claims.clone(),
        }
    }

    /// The check of cosign v2 layers against `policy` (this authority's).
    fn sig_check<'a>(
        &'a self,
        policy: &'a cosign_sig::CertificatePolicy,
    ) -> cosign_sig::SigCheck<'a> {
        cosign_sig::SigCheck {
            signer: cosign_sig::Signer::Certificate(policy),
            trust: &self.trust,
            tlog: self.tlog,
            check_reference: None,
        }
    }
}

/// Who signed an attestation.
pub enum AttestationSigner<'a> {
    Key(&'a KeyAuthority, &'a KeyOptions),
    Keyless(&'a KeylessAuthority),
}

/// The in-toto attestations of `subject` that cosign attached (`cosign
/// attest`: DSSE envelopes under the `sha256-<hex>.att` tag) and that verify
/// for `signer`, optionally of one predicate type; when none does, the most
/// telling failure.
pub fn verify_attestations(
    registry: &Registry,
    subject: &Subject,
    signer: AttestationSigner<'_>,
    predicate_type: Option<&str>,
) -> Result<Vec<cosign_sig::Attestation>, Failure> {
    let Some((tag, manifest)) = attached_manifest(registry, subject, "att")? else {
        return Err(Failure::new(
            FailureKind::Unsigned,
            format!(
                "{}@{} has no attestations (no tag {})",
                subject.repository,
                subject.digest,
                attached_tag_name(subject, "att")
            ),
        ));
    };
    let layers = layers_of(registry, subject, &tag, &manifest, cosign_sig::DSSE)?;
    let empty = cosign_sig::Trust::default();
    let policy;
    let check = match signer {
        AttestationSigner::Key(key, opts) => key_check(key, opts, &empty),
        AttestationSigner::Keyless(authority) => {
            policy = authority.certificate_policy();
            authority.sig_check(&policy)
        }
    };
    let results = layers.iter().map(|layer| {
        let a = cosign_sig::verify_att_layer(layer, &subject.digest, &check)?;
        match predicate_type {
            Some(t) if t != a.predicate_type => Err(Failure::new(
                FailureKind::PredicateMismatch,
                format!("an attestation of `{}`, not `{t}`", a.predicate_type),
            )),
            _ => Ok(a),
        }
    });
    verified_or_most_telling(
        subject,
        results,
        |k| match k {
            FailureKind::IdentityMismatch
            | FailureKind::IssuerMismatch
            | FailureKind::DigestMismatch => 0,
            FailureKind::PredicateMismatch => 2,
            _ => 1,
        },
        || Failure::new(FailureKind::Unsigned, format!("{tag} holds no attestation")),
    )
}

/// The image a signature is checked for.
#[derive(Debug, Clone)]
pub struct Subject {
    /// `registry/repository` as plimsoll-oci canonicalises it.
    pub repository: String,
    /// `sha256:<hex>` of the image manifest (or index).
    pub digest: String,
}

impl Subject {
    /// Resolves `reference` (tag or digest) to the digest of what it names.
    pub fn resolve(registry: &Registry, reference: &str) -> Result<Subject, Failure> {
        let r = ImageRef::parse(reference)?;
        let digest = match &r.digest {
            Some(d) => d.clone(),
            None => registry.resolve(reference)?.digest,
        };
        Ok(Subject {
            repository: format!("{}/{}", r.registry, r.repository),
            digest,
        })
    }

    /// The tag cosign attaches `suffix` (`sig`, `att`) under:
    /// `repo:sha256-<hex>.<suffix>` (only sha256 digests have one).
    fn attached_tag(&self, suffix: &str) -> Option<String> {
        let hex = self.digest.strip_prefix("sha256:")?;
        Some(format!("{}:sha256-{hex}.{suffix}", self.repository))
    }
}

/// Options of the key-based check.
#[derive(Debug, Default)]
pub struct KeyOptions {
    /// Require the payload's docker-reference to be this repository
    /// (`registry/repo`); cosign checks it unless told not to, mirrors and
    /// re-tagged copies need it off.
    pub check_reference: Option<String>,
    /// What to do with a signature's Rekor bundle. Without log keys in
    /// `trust` there is nothing to check it with, and it is ignored.
    pub tlog: cosign_sig::Tlog,
    /// The transparency logs' keys (a trusted root's), for `tlog`.
    pub trust: Option<cosign_sig::Trust>,
}

/// Verifies cosign's `.sig` signatures of `subject` with `key`. Every
/// signature that verifies is returned; when none does, the most telling
/// failure (a valid signature over another digest beats an invalid one).
pub fn verify_key(
    registry: &Registry,
    subject: &Subject,
    key: &KeyAuthority,
    opts: &KeyOptions,
) -> Result<Vec<Verified>, Failure> {
    let Some((tag, manifest)) = attached_manifest(registry, subject, "sig")? else {
        return Err(Failure::new(
            FailureKind::Unsigned,
            format!(
                "{}@{} has no cosign signature (no tag {})",
                subject.repository,
                subject.digest,
                attached_tag_name(subject, "sig")
            ),
        ));
    };
    let layers = sig_layers(registry, subject, &tag, &manifest)?;
    let empty = cosign_sig::Trust::default();
    let check = key_check(key, opts, &empty);
    verified_or_most_telling(
        subject,
        layers
            .iter()
            .map(|l| cosign_sig::verify_sig_layer(l, &subject.digest, &check)),
        |k| match k {
            FailureKind::DigestMismatch | FailureKind::ReferenceMismatch => 0,
            _ => 1,
        },
        || {
            Failure::new(
                FailureKind::Unsigned,
                format!("{tag} holds no cosign signature layer"),
            )
        },
    )
}

/// The signature layers of a `.sig` manifest, blobs fetched (each at most
/// 1 MiB: cosign's payloads are a few hundred bytes).
fn sig_layers(
    registry: &Registry,
    subject: &Subject,
    tag: &str,
    manifest: &[u8],
) -> Result<Vec<cosign_sig::SigLayer>, Failure> {
    layers_of(registry, subject, tag, manifest, SIMPLE_SIGNING)
}

/// The layers of `media_type` of a `.sig`/`.att` manifest, blobs fetched.
fn layers_of(
    registry: &Registry,
    subject: &Subject,
    tag: &str,
    manifest: &[u8],
    wanted: &str,
) -> Result<Vec<cosign_sig::SigLayer>, Failure> {
    let doc: serde_json::Value = serde_json::from_slice(manifest)
        .map_err(|e| Failure::new(FailureKind::InvalidBundle, format!("{tag}: not JSON: {e}")))?;
    let mut out = Vec::new();
    for layer in doc["layers"].as_array().into_iter().flatten() {
        let media_type = layer["mediaType"].as_str().unwrap_or("").to_string();
        if media_type != wanted {
            continue;
        }
        let Some(digest) = layer["digest"].as_str() else {
            return Err(Failure::new(
                FailureKind::InvalidBundle,
                format!("{tag}: a signature layer without a digest"),
            ));
        };
        out.push(cosign_sig::SigLayer {
            media_type,
            payload: registry.blob(&subject.repository, digest, MAX_PAYLOAD)?,
            annotations: layer["annotations"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The manifest cosign attached to `subject` under its `.<suffix>` tag,
/// with that tag, when there is one.
fn attached_manifest(
    registry: &Registry,
    subject: &Subject,
    suffix: &str,
) -> Result<Option<(String, Vec<u8>)>, Failure> {
    let Some(tag) = subject.attached_tag(suffix) else {
        return Ok(None);
    };
    match registry.manifest(&tag) {
        Ok(m) => Ok(Some((tag, m.body))),
        Err(e) if e.kind == RegistryErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `sha256-<hex>.<suffix>`, or why there is no such tag, for messages.
fn attached_tag_name(subject: &Subject, suffix: &str) -> String {
    match subject.attached_tag(suffix) {
        Some(t) => t.rsplit(':').next().unwrap_or(&t).to_string(),
        None => format!(
            "for a {} digest: only sha256 digests have one",
            subject.digest.split(':').next().unwrap_or("non-sha256")
        ),
    }
}

/// The key check of `opts`: its transparency-log mode and trust, or none
/// when it has no log keys to check a bundle with (`empty` stands in).
fn key_check<'a>(
    key: &'a KeyAuthority,
    opts: &'a KeyOptions,
    empty: &'a cosign_sig::Trust,
) -> cosign_sig::SigCheck<'a> {
    let (trust, tlog) = match &opts.trust {
        Some(t) if t.log_ids().next().is_some() => (t, opts.tlog),
        _ => (empty, cosign_sig::Tlog::Ignore),
    };
    cosign_sig::SigCheck {
        signer: cosign_sig::Signer::Key(key),
        trust,
        tlog,
        check_reference: opts.check_reference.clone(),
    }
}

/// Every verification that passed, or the most telling failure (lowest
/// `rank`), each failure's message prefixed with the image; `none` when
/// there was nothing to verify.
fn verified_or_most_telling<T>(
    subject: &Subject,
    results: impl IntoIterator<Item = Result<T, Failure>>,
    rank: impl Fn(FailureKind) -> u8,
    none: impl FnOnce() -> Failure,
) -> Result<Vec<T>, Failure> {
    let mut verified = Vec::new();
    let mut failures = Vec::new();
    for r in results {
        match r {
            Ok(v) => verified.push(v),
            Err(mut f) => {
                if !f.message.starts_with(&format!("{}@", subject.repository)) {
                    f.message = format!("{}@{}: {}", subject.repository, subject.digest, f.message);
                }
                failures.push(f);
            }
        }
    }
    if !verified.is_empty() {
        return Ok(verified);
    }
    failures.sort_by_key(|f| rank(f.kind));
    Err(failures.into_iter().next().unwrap_or_else(none))
}

type Checked = (Option<String>, BTreeMap<String, String>);

pub(crate) fn check_payload(
    payload: &[u8],
    subject: &Subject,
    check_reference: Option<&str>,
) -> Result<Checked, Failure> {
    let v: serde_json::Value = serde_json::from_slice(payload).map_err(|e| {
        Failure::new(
            FailureKind::InvalidBundle,
            format!("the signed payload is not JSON: {e}"),
        )
    })?;
    let signed_digest = v["critical"]["image"]["docker-manifest-digest"]
        .as_str()
        .unwrap_or("");
    if signed_digest != subject.digest {
        return Err(Failure::new(
            FailureKind::DigestMismatch,
            format!(
                "{}@{}: the signature is valid but its payload names another image ({})",
                subject.repository,
                subject.digest,
                if signed_digest.is_empty() {
                    "no digest"
                } else {
                    signed_digest
                }
            ),
        ));
    }
    let reference = v["critical"]["identity"]["docker-reference"]
        .as_str()
        .map(str::to_string);
    if let Some(want) = check_reference
        && reference.as_deref() != Some(want)
    {
        return Err(Failure::new(
            FailureKind::ReferenceMismatch,
            format!(
                "{}@{}: the signature was made for `{}`, not `{want}`",
                subject.repository,
                subject.digest,
                reference.as_deref().unwrap_or("no reference")
            ),
        ));
    }
    let annotations = v["optional"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let s = v
                        .as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    (k.clone(), s)
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((reference, annotations))
}

/// Verifies a Sigstore bundle (JSON) for the image digest `digest`
/// (`sha256:<hex>`) against a keyless authority.
pub fn verify_bundle(
    bundle_json: &[u8],
    digest: &str,
    authority: &KeylessAuthority,
) -> Result<Verified, Failure> {
    let bundle: Bundle = serde_json::from_slice(bundle_json).map_err(|e| {
        Failure::new(
            FailureKind::InvalidBundle,
            format!("not a Sigstore bundle: {e}"),
        )
    })?;
    let hex = digest.strip_prefix("sha256:").ok_or_else(|| {
        Failure::new(
            FailureKind::InvalidBundle,
            format!("{digest}: keyless verification needs a sha256 digest"),
        )
    })?;
    let bytes: [u8; 32] = hex::decode(hex)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| {
            Failure::new(
                FailureKind::InvalidBundle,
                format!("{digest}: not a sha256 digest"),
            )
        })?;
    let policy = IdentityPolicy {
        identity: &authority.identity,
        issuer: &authority.issuer,
        claims: &authority.claims,
        seen: Mutex::new((None, None)),
    };
    let result =
        authority
            .verifier
            .verify_digest_with(ArtifactDigest::Sha256(bytes), bundle, &policy, true);
    let (identity, issuer) = policy.seen.into_inner().unwrap_or_default();
    match result {
        Ok(()) => Ok(Verified {
            method: "keyless",
            identity,
            issuer,
            key_id: None,
            docker_reference: None,
            annotations: BTreeMap::new(),
            log_index: None,
            integrated_time: None,
        }),
        Err(VerificationError::Policy(PolicyError::ExtensionCheckFailed {
            extension,
            expected,
            actual,
        })) => {
            let kind = if extension == "issuer" {
                FailureKind::IssuerMismatch
            } else {
                FailureKind::IdentityMismatch
            };
            Err(Failure::new(
                kind,
                format!("signed by {extension} `{actual}`, but the policy requires {expected}"),
            ))
        }
        Err(VerificationError::Policy(e)) => Err(Failure::new(
            FailureKind::IdentityMismatch,
            format!("the certificate does not name an identity and issuer: {e}"),
        )),
        Err(VerificationError::Certificate(e)) => Err(Failure::new(
            FailureKind::UntrustedCertificate,
            format!("the signing certificate is not trusted: {e}"),
        )),
        Err(VerificationError::Signature(e)) => Err(Failure::new(
            if e.to_string().contains("digest") {
                FailureKind::DigestMismatch
            } else {
                FailureKind::BadSignature
            },
            format!("the bundle's signature does not verify for {digest}: {e}"),
        )),
        Err(e) => Err(Failure::new(
            FailureKind::InvalidBundle,
            format!("the bundle does not verify: {e}"),
        )),
    }
}

/// Fulcio's OIDC issuer extensions: v2 (DER UTF8String) and v1 (raw string).
const ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
const ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";
const SUBJECT_ALT_NAME: &str = "2.5.29.17";

/// Matches the certificate's SAN and issuer, remembering what it saw so a
/// verified signature can say who signed it.
struct IdentityPolicy<'a> {
    identity: &'a Matcher,
    issuer: &'a Matcher,
    claims: &'a [(cosign_sig::Claim, Matcher)],
    seen: Mutex<(Option<String>, Option<String>)>,
}

impl VerificationPolicy for IdentityPolicy<'_> {
    fn verify(&self, cert: &x509_cert::Certificate) -> Result<(), PolicyError> {
        let (identity, issuer) = cert_identity(cert);
        *self.seen.lock().unwrap() = (identity.clone(), issuer.clone());
        let identity = identity.ok_or(PolicyError::ExtensionNotFound)?;
        let issuer = issuer.ok_or(PolicyError::ExtensionNotFound)?;
        if !self.identity.matches(&identity) {
            return Err(PolicyError::ExtensionCheckFailed {
                extension: "identity".into(),
                expected: self.identity.describe(),
                actual: identity,
            });
        }
        if !self.issuer.matches(&issuer) {
            return Err(PolicyError::ExtensionCheckFailed {
                extension: "issuer".into(),
                expected: self.issuer.describe(),
                actual: issuer,
            });
        }
        let claims = cosign_sig::cert_claims(cert);
        for (claim, want) in self.claims {
            let got = claims.get(claim);
            if !got.is_some_and(|g| want.matches(g)) {
                return Err(PolicyError::ExtensionCheckFailed {
                    extension: claim.name().into(),
                    expected: want.describe(),
                    actual: got.cloned().unwrap_or_else(|| "absent".into()),
                });
            }
        }
        Ok(())
    }
}

pub(crate) fn cert_identity(cert: &x509_cert::Certificate) -> (Option<String>, Option<String>) {
    use x509_cert::der::Decode;
    use x509_cert::ext::pkix::SubjectAltName;
    use x509_cert::ext::pkix::name::GeneralName;
    let mut identity = None;
    let mut issuer_v1 = None;
    let mut issuer_v2 = None;
    for ext in cert.tbs_certificate().extensions().into_iter().flatten() {
        let oid = ext.extn_id.to_string();
        let value = ext.extn_value.as_bytes();
        if oid == SUBJECT_ALT_NAME {
            if let Ok(san) = SubjectAltName::from_der(value) {
                identity = san.0.iter().find_map(|n| match n {
                    GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                    GeneralName::Rfc822Name(e) => Some(e.to_string()),
                    _ => None,
                });
            }
        } else if oid == ISSUER_V2 {
            issuer_v2 = x509_cert::der::asn1::Utf8StringRef::from_der(value)
                .ok()
                .map(|s| s.as_str().to_string());
        } else if oid == ISSUER_V1 {
            issuer_v1 = std::str::from_utf8(value).ok().map(str::to_string);
        }
    }
    (identity, issuer_v2.or(issuer_v1))
}

/// Is `media_type` a Sigstore bundle (`application/vnd.dev.sigstore.bundle.v0.3+json`,
/// or the older `application/vnd.dev.sigstore.bundle+json;version=0.x`)?
pub fn is_bundle_type(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.dev.sigstore.bundle")
}

/// The Sigstore bundles stored for `subject` the way cosign v3 stores them:
/// artifacts whose `subject` is the image, found through the OCI referrers
/// API or, where the registry has none, its `sha256-<hex>` tag fallback.
pub fn discover_bundles(registry: &Registry, subject: &Subject) -> Result<Vec<Vec<u8>>, Failure> {
    let index = match registry.referrers(&subject.repository, &subject.digest)? {
        Some(body) => body,
        None => {
            let Some(hex) = subject.digest.strip_prefix("sha256:") else {
                return Ok(Vec::new());
            };
            match registry.manifest(&format!("{}:sha256-{hex}", subject.repository)) {
                Ok(f) => f.body,
                Err(e) if e.kind == RegistryErrorKind::NotFound => return Ok(Vec::new()),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let index: serde_json::Value = serde_json::from_slice(&index).map_err(|e| {
        Failure::new(
            FailureKind::InvalidBundle,
            format!(
                "{}@{}: the referrers index is not JSON: {e}",
                subject.repository, subject.digest
            ),
        )
    })?;
    let mut bundles = Vec::new();
    for m in index["manifests"].as_array().into_iter().flatten() {
        let (Some(kind), Some(digest)) = (m["artifactType"].as_str(), m["digest"].as_str()) else {
            continue;
        };
        if !is_bundle_type(kind) {
            continue;
        }
        let artifact = registry.manifest(&format!("{}@{digest}", subject.repository))?;
        let doc: serde_json::Value = serde_json::from_slice(&artifact.body).unwrap_or_default();
        for layer in doc["layers"].as_array().into_iter().flatten() {
            if let (Some(t), Some(d)) = (layer["mediaType"].as_str(), layer["digest"].as_str())
                && is_bundle_type(t)
            {
                bundles.push(registry.blob(&subject.repository, d, MAX_PAYLOAD)?);
            }
        }
    }
    Ok(bundles)
}

/// Keyless verification of a registry image: every signature that verifies
/// against `authority` — Sigstore bundles among its referrers (cosign v3)
/// and certificate signatures of its `.sig` tag (cosign v2, with their Rekor
/// SET checked offline) — or the most telling failure.
pub fn verify_keyless(
    registry: &Registry,
    subject: &Subject,
    authority: &KeylessAuthority,
) -> Result<Vec<Verified>, Failure> {
    let bundles = discover_bundles(registry, subject)?;
    let sig_layers = match attached_manifest(registry, subject, "sig")? {
        Some((tag, body)) => sig_layers(registry, subject, &tag, &body)?,
        None => Vec::new(),
    };
    if bundles.is_empty() && sig_layers.is_empty() {
        return Err(Failure::new(
            FailureKind::Unsigned,
            format!(
                "{}@{} has no signature (no Sigstore bundle among its OCI referrers, no cosign .sig tag)",
                subject.repository, subject.digest
            ),
        ));
    }
    let policy = authority.certificate_policy();
    let check = authority.sig_check(&policy);
    let results = bundles
        .iter()
        .map(|b| verify_bundle(b, &subject.digest, authority))
        .chain(
            sig_layers
                .iter()
                .map(|l| cosign_sig::verify_sig_layer(l, &subject.digest, &check)),
        );
    verified_or_most_telling(
        subject,
        results,
        |k| match k {
            FailureKind::IdentityMismatch | FailureKind::IssuerMismatch => 0,
            FailureKind::DigestMismatch
            | FailureKind::UntrustedCertificate
            | FailureKind::CertificateExpired
            | FailureKind::TlogSetInvalid
            | FailureKind::TlogEntryMismatch => 1,
            _ => 2,
        },
        || Failure::new(FailureKind::Unsigned, "no signature"),
    )
}
