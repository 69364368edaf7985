//! cosign's `.sig` signatures as cosign v1/v2 write them — how most signed
//! images in the wild are signed (distroless, Chainguard, Kubernetes, images
//! built on GitHub): the tag `sha256-<hex>.sig` holds one layer per
//! signature, the simple-signing payload as the blob and, as annotations,
//!
//! - `dev.cosignproject.cosign/signature`: base64 signature over the payload;
//! - `dev.sigstore.cosign/certificate` and `.../chain` (keyless): the Fulcio
//!   leaf certificate and its chain, PEM;
//! - `dev.sigstore.cosign/bundle`: the Rekor entry's signed entry timestamp
//!   (SET) with the entry body, its log index, log id and integrated time.
//!
//! Everything is checked offline: the SET with the log's key from the trust
//! material (chosen by log id), the entry body against the signature, payload
//! and certificate or key it claims to log, the certificate chain to a Fulcio
//! root at the time the log says the signature was made (rustls-webpki), the
//! signature with the certificate's or the configured key, the certificate's
//! identity, issuer and GitHub workflow claims, and the payload's digest.
//!
//! Written here rather than taken from the sigstore crate: its `.sig` layer
//! verification is reachable only through its own registry client, ignores
//! the chain annotation, does not compare the Rekor body with the signature,
//! and reports one error type for every cause; a CI gate must name the cause.

use std::collections::BTreeMap;

use base64::Engine;
use pki_types::{CertificateDer, TrustAnchor, UnixTime};
use serde::Deserialize;
use sha2::Digest;
use sigstore::crypto::{CosignVerificationKey, Signature};
use x509_cert::der::Decode;

use crate::{Failure, FailureKind, KeyAuthority, Matcher, SIGNATURE_ANNOTATION, SIMPLE_SIGNING};

/// Annotation holding the Fulcio leaf certificate (PEM).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// Annotation holding the certificate chain, leaf's issuer first (PEM).
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// Annotation holding the Rekor bundle (SET and entry).
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// One layer of a `.sig` (or `.att`) manifest: its media type, blob and
/// annotations.
#[derive(Debug, Clone, Default)]
pub struct SigLayer {
    pub media_type: String,
    pub payload: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

/// What to do with the transparency-log entry (cosign's
/// `--insecure-ignore-tlog` is `Ignore`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tlog {
    /// A valid SET is required (cosign's default, and always needed for a
    /// keyless signature: its certificate is only valid for minutes).
    #[default]
    Required,
    /// Checked when present; a signature without one still verifies.
    Optional,
    /// Not looked at.
    Ignore,
}

impl Tlog {
    pub fn parse(s: &str) -> Option<Tlog> {
        Some(match s {
            "required" => Tlog::Required,
            "optional" => Tlog::Optional,
            "ignore" => Tlog::Ignore,
            _ => return None,
        })
    }
}

/// A claim Fulcio writes into a certificate from the OIDC token, matched like
/// cosign's `--certificate-github-workflow-*` flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    /// `--certificate-github-workflow-trigger` (e.g. `push`).
    GithubWorkflowTrigger,
    /// `--certificate-github-workflow-sha` (the commit).
    GithubWorkflowSha,
    /// `--certificate-github-workflow-name`.
    GithubWorkflowName,
    /// `--certificate-github-workflow-repository` (`owner/repo`).
    GithubWorkflowRepository,
    /// `--certificate-github-workflow-ref` (e.g. `refs/heads/main`).
    GithubWorkflowRef,
}

impl Claim {
    /// By its name (`github-workflow-repository`...).
    pub fn from_name(name: &str) -> Option<Claim> {
        Claim::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Fulcio's (v1, raw string) extension for the claim.
    fn oid(self) -> &'static str {
        match self {
            Claim::GithubWorkflowTrigger => "1.3.6.1.4.1.57264.1.2",
            Claim::GithubWorkflowSha => "1.3.6.1.4.1.57264.1.3",
            Claim::GithubWorkflowName => "1.3.6.1.4.1.57264.1.4",
            Claim::GithubWorkflowRepository => "1.3.6.1.4.1.57264.1.5",
            Claim::GithubWorkflowRef => "1.3.6.1.4.1.57264.1.6",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Claim::GithubWorkflowTrigger => "github-workflow-trigger",
            Claim::GithubWorkflowSha => "github-workflow-sha",
            Claim::GithubWorkflowName => "github-workflow-name",
            Claim::GithubWorkflowRepository => "github-workflow-repository",
            Claim::GithubWorkflowRef => "github-workflow-ref",
        }
    }

    pub const ALL: [Claim; 5] = [
        Claim::GithubWorkflowTrigger,
        Claim::GithubWorkflowSha,
        Claim::GithubWorkflowName,
        Claim::GithubWorkflowRepository,
        Claim::GithubWorkflowRef,
    ];
}

/// Who must hold the signing certificate.
#[derive(Debug, Clone)]
pub struct CertificatePolicy {
    pub identity: Matcher,
    pub issuer: Matcher,
    pub claims: Vec<(Claim, Matcher)>,
}

/// Trust material: certificate authorities (roots and intermediates) and
/// transparency-log keys by log id (hex sha256 of the key's DER).
#[derive(Debug, Default)]
pub struct Trust {
    anchors: Vec<TrustAnchor<'static>>,
    intermediates: Vec<CertificateDer<'static>>,
    logs: BTreeMap<String, LogKey>,
}

struct LogKey(CosignVerificationKey);

impl std::fmt::Debug for LogKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogKey")
    }
}

fn invalid(what: &str, e: impl std::fmt::Display) -> Failure {
    Failure::new(FailureKind::InvalidAuthority, format!("{what}: {e}"))
}

impl Trust {
    /// From a Sigstore `trusted_root.json`: every Fulcio CA's chain (valid or
    /// expired: a certificate is checked at its signing time) and every
    /// Rekor log's key (ECDSA and the Ed25519 keys of the newer logs).
    pub fn from_trusted_root(json: &[u8], what: &str) -> Result<Trust, Failure> {
        use sigstore::trust::TrustRoot;
        let root =
            sigstore::trust::sigstore::SigstoreTrustRoot::from_trusted_root_json_unchecked(json)
                .map_err(|e| invalid(what, format!("not a usable Sigstore trusted root: {e}")))?;
        let mut trust = Trust::default();
        for cert in root.fulcio_certs().unwrap_or_default() {
            trust.add_certificate(cert.as_ref(), what)?;
        }
        for (id, der) in root.rekor_keys().unwrap_or_default() {
            let key = CosignVerificationKey::try_from_der(der)
                .map_err(|e| invalid(what, format!("transparency log {id}: unusable key: {e}")))?;
            trust.logs.insert(id, LogKey(key));
        }
        Ok(trust)
    }

    /// Adds the certificates of a PEM file: self-issued ones as roots, the
    /// others as intermediates (a private PKI, or Fulcio's PEMs).
    pub fn add_certificates_pem(&mut self, pem_text: &[u8], what: &str) -> Result<(), Failure> {
        let blocks = pem::parse_many(pem_text).map_err(|e| invalid(what, e))?;
        if blocks.is_empty() {
            return Err(invalid(what, "no PEM certificate in it"));
        }
        for b in blocks.iter().filter(|b| b.tag() == "CERTIFICATE") {
            self.add_certificate(b.contents(), what)?;
        }
        Ok(())
    }

    /// Adds a certificate to trust as an intermediate only (never a root),
    /// as containers/image's `intermediates` do.
    pub fn add_intermediates_pem(&mut self, pem_text: &[u8], what: &str) -> Result<(), Failure> {
        for b in pem::parse_many(pem_text).map_err(|e| invalid(what, e))? {
            self.intermediates
                .push(CertificateDer::from(b.contents().to_vec()));
        }
        Ok(())
    }

    fn add_certificate(&mut self, der: &[u8], what: &str) -> Result<(), Failure> {
        let cert = x509_cert::Certificate::from_der(der).map_err(|e| invalid(what, e))?;
        let tbs = cert.tbs_certificate();
        if tbs.subject() == tbs.issuer() {
            let owned = CertificateDer::from(der.to_vec());
            let anchor = webpki::anchor_from_trusted_cert(&owned)
                .map_err(|e| invalid(what, format!("{e:?}")))?
                .to_owned();
            self.anchors.push(anchor);
        } else {
            self.intermediates.push(CertificateDer::from(der.to_vec()));
        }
        Ok(())
    }

    /// Adds a transparency log's public key (PEM), under its log id.
    pub fn add_log_key_pem(&mut self, pem_text: &[u8], what: &str) -> Result<String, Failure> {
        let block = pem::parse(pem_text).map_err(|e| invalid(what, e))?;
        let key = CosignVerificationKey::try_from_der(block.contents())
            .map_err(|e| invalid(what, format!("not a usable public key: {e}")))?;
        let id = hex::encode(sha2::Sha256::digest(block.contents()));
        self.logs.insert(id.clone(), LogKey(key));
        Ok(id)
    }

    /// Log ids this trust knows.
    pub fn log_ids(&self) -> impl Iterator<Item = &str> {
        self.logs.keys().map(String::as_str)
    }

    pub fn has_authorities(&self) -> bool {
        !self.anchors.is_empty()
    }
}

/// How a signature must have been made.
pub enum Signer<'a> {
    /// With this key (`cosign sign --key`).
    Key(&'a KeyAuthority),
    /// With a certificate from one of the trusted authorities, held by this
    /// identity (`cosign sign` keyless, or a private PKI).
    Certificate(&'a CertificatePolicy),
}

/// Everything one `.sig` layer is checked against.
pub struct SigCheck<'a> {
    pub signer: Signer<'a>,
    pub trust: &'a Trust,
    pub tlog: Tlog,
    /// Require the payload's docker-reference to be this repository.
    pub check_reference: Option<String>,
}

/// The Rekor bundle annotation (cosign's `SignedEntryTimestamp` + payload).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RekorBundle {
    signed_entry_timestamp: String,
    payload: RekorPayload,
}

#[derive(Debug, Clone, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RekorPayload {
    body: String,
    integrated_time: i64,
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

/// A transparency-log entry whose SET verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub log_id: String,
    pub log_index: i64,
    pub integrated_time: i64,
    /// The entry body (JSON: `kind`, `spec`).
    pub body: serde_json::Value,
}

/// Checks a Rekor bundle annotation's SET with the log key its log id names.
pub fn verify_set(bundle_json: &str, trust: &Trust) -> Result<LogEntry, Failure> {
    let set_failure = |m: String| Failure::new(FailureKind::TlogSetInvalid, m);
    let bundle: RekorBundle = serde_json::from_str(bundle_json)
        .map_err(|e| set_failure(format!("the Rekor bundle is not readable: {e}")))?;
    let p = &bundle.payload;
    let key = trust.logs.get(&p.log_id).ok_or_else(|| {
        set_failure(format!(
            "the signature was logged in transparency log {}, which the trust root does not list",
            short(&p.log_id)
        ))
    })?;
    let canonical = serde_json_canonicalizer::to_vec(p)
        .map_err(|e| set_failure(format!("the Rekor bundle cannot be canonicalised: {e}")))?;
    key.0
        .verify_signature(
            Signature::Base64Encoded(bundle.signed_entry_timestamp.as_bytes()),
            &canonical,
        )
        .map_err(|_| {
            set_failure(format!(
                "the signed entry timestamp of log entry {} does not verify with the key of log {} (the bundle was altered or signed by another log)",
                p.log_index,
                short(&p.log_id)
            ))
        })?;
    let body = base64::engine::general_purpose::STANDARD
        .decode(&p.body)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| set_failure("the Rekor entry body is not base64 JSON".into()))?;
    Ok(LogEntry {
        log_id: p.log_id.clone(),
        log_index: p.log_index,
        integrated_time: p.integrated_time,
        body,
    })
}

fn short(id: &str) -> &str {
    &id[..id.len().min(16)]
}

/// What a trusted certificate says about its holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The SAN: URI or email.
    pub identity: Option<String>,
    pub issuer: Option<String>,
    pub claims: BTreeMap<Claim, String>,
    /// The certificate's validity, Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
}

/// Checks that `leaf_pem` chains to one of `trust`'s roots (through `chain`
/// and the trusted intermediates) for code signing at `time` (Unix
/// seconds), and reads who it names. `CertificateExpired` when the leaf was
/// not valid at `time`, `UntrustedCertificate` when no path reaches a root.
pub fn verify_certificate(
    leaf_pem: &[u8],
    chain_pem: Option<&[u8]>,
    trust: &Trust,
    time: i64,
) -> Result<(CertificateInfo, CosignVerificationKey), Failure> {
    let untrusted = |m: String| Failure::new(FailureKind::UntrustedCertificate, m);
    let leaf = pem::parse(leaf_pem)
        .map_err(|e| untrusted(format!("the signing certificate is not PEM: {e}")))?;
    let cert = x509_cert::Certificate::from_der(leaf.contents())
        .map_err(|e| untrusted(format!("the signing certificate is not X.509: {e}")))?;
    let validity = cert.tbs_certificate().validity();
    let not_before = validity.not_before.to_unix_duration().as_secs() as i64;
    let not_after = validity.not_after.to_unix_duration().as_secs() as i64;
    if time < not_before || time > not_after {
        return Err(Failure::new(
            FailureKind::CertificateExpired,
            format!(
                "the signing certificate was valid from {} to {}, not at {} when the signature was made",
                rfc3339(not_before),
                rfc3339(not_after),
                rfc3339(time)
            ),
        ));
    }
    if trust.anchors.is_empty() {
        return Err(Failure::new(
            FailureKind::InvalidAuthority,
            "no certificate authority is trusted (a trusted root or roots is needed for certificate signatures)",
        ));
    }
    let mut intermediates: Vec<CertificateDer<'static>> = Vec::new();
    if let Some(chain) = chain_pem {
        for b in pem::parse_many(chain)
            .map_err(|e| untrusted(format!("the certificate chain is not PEM: {e}")))?
        {
            intermediates.push(CertificateDer::from(b.contents().to_vec()));
        }
    }
    intermediates.extend(trust.intermediates.iter().cloned());
    let der = CertificateDer::from(leaf.contents().to_vec());
    let end_entity = webpki::EndEntityCert::try_from(&der)
        .map_err(|e| untrusted(format!("the signing certificate cannot be used: {e:?}")))?;
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &trust.anchors,
            &intermediates,
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(time.max(0) as u64)),
            webpki::KeyUsage::required_if_present(CODE_SIGNING),
            None,
            None,
        )
        .map_err(|e| {
            untrusted(format!(
                "the signing certificate does not chain to a trusted certificate authority for code signing ({e:?})"
            ))
        })?;
    let key = CosignVerificationKey::try_from(cert.tbs_certificate().subject_public_key_info())
        .map_err(|e| untrusted(format!("the certificate's key cannot be used: {e}")))?;
    let (identity, issuer) = crate::cert_identity(&cert);
    let claims = cert_claims(&cert);
    Ok((
        CertificateInfo {
            identity,
            issuer,
            claims,
            not_before,
            not_after,
        },
        key,
    ))
}

/// The Fulcio claims a certificate carries.
pub(crate) fn cert_claims(cert: &x509_cert::Certificate) -> BTreeMap<Claim, String> {
    let mut claims = BTreeMap::new();
    for ext in cert.tbs_certificate().extensions().into_iter().flatten() {
        let oid = ext.extn_id.to_string();
        if let Some(claim) = Claim::ALL.iter().find(|c| c.oid() == oid)
            && let Ok(v) = std::str::from_utf8(ext.extn_value.as_bytes())
        {
            claims.insert(*claim, v.to_string());
        }
    }
    claims
}

/// id-kp-codeSigning (1.3.6.1.5.5.7.3.3), DER contents: required when the
/// certificate lists extended key usages (Fulcio's always do); one without
/// any (a private PKI's) is good for any use, as Go's x509 (cosign) treats it.
const CODE_SIGNING: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

pub(crate) fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| format!("{t} (Unix time)"))
}

/// The key a layer's signature must verify with, once the signer is
/// established: the configured key, or the trusted certificate's.
enum SigningKey<'a> {
    Configured(&'a KeyAuthority),
    Certificate(Box<CosignVerificationKey>, CertificateInfo),
}

/// What the transparency log and the signer say before the signature itself
/// is checked.
struct Established<'a> {
    entry: Option<LogEntry>,
    key: SigningKey<'a>,
    /// The certificate's or key's DER, to compare with the log entry.
    logged_der: Vec<u8>,
}

impl Established<'_> {
    fn verify(&self, signature: &str, message: &[u8]) -> bool {
        let key = match &self.key {
            SigningKey::Configured(k) => &k.key,
            SigningKey::Certificate(k, _) => k,
        };
        key.verify_signature(Signature::Base64Encoded(signature.as_bytes()), message)
            .is_ok()
    }

    fn bad_signature(&self) -> Failure {
        Failure::new(
            FailureKind::BadSignature,
            match &self.key {
                SigningKey::Configured(k) => format!(
                    "the signature does not verify with key {} (signed by another key, or the payload was changed after signing)",
                    k.key_id()
                ),
                SigningKey::Certificate(..) => "the signature does not verify with its certificate's key (the payload was changed after signing)".to_string(),
            },
        )
    }

    /// The identity checks, then what a verified signature reports.
    fn finish(
        self,
        check: &SigCheck<'_>,
        docker_reference: Option<String>,
        annotations: BTreeMap<String, String>,
    ) -> Result<crate::Verified, Failure> {
        let (method, identity, issuer, key_id) = match self.key {
            SigningKey::Configured(k) => ("key", None, None, Some(k.key_id().to_string())),
            SigningKey::Certificate(_, info) => {
                if let Signer::Certificate(policy) = &check.signer {
                    match_policy(policy, &info)?;
                }
                ("keyless", info.identity, info.issuer, None)
            }
        };
        Ok(crate::Verified {
            method,
            identity,
            issuer,
            key_id,
            docker_reference,
            annotations,
            log_index: self.entry.as_ref().map(|e| e.log_index),
            integrated_time: self.entry.as_ref().map(|e| e.integrated_time),
        })
    }
}

/// The transparency log first (its time is when the signature was made),
/// then the signer: the configured key, or a certificate trusted at that
/// time.
fn establish<'a>(layer: &SigLayer, check: &SigCheck<'a>) -> Result<Established<'a>, Failure> {
    // A key signature under a keyless policy: say so before anything else.
    if matches!(check.signer, Signer::Certificate(_))
        && !layer.annotations.contains_key(CERTIFICATE_ANNOTATION)
    {
        return Err(Failure::new(
            FailureKind::UntrustedCertificate,
            "the signature has no certificate (signed with a key, not keyless)",
        ));
    }
    let entry = match (check.tlog, layer.annotations.get(BUNDLE_ANNOTATION)) {
        (Tlog::Ignore, _) | (Tlog::Optional, None) => None,
        (Tlog::Required, None) => {
            return Err(Failure::new(
                FailureKind::TlogMissing,
                "the signature has no transparency-log bundle, and the policy requires one (tlog = \"optional\" or \"ignore\" accepts it)",
            ));
        }
        (_, Some(b)) => Some(verify_set(b, check.trust)?),
    };
    match &check.signer {
        Signer::Key(key) => Ok(Established {
            entry,
            key: SigningKey::Configured(key),
            logged_der: key.der.clone(),
        }),
        Signer::Certificate(_) => {
            let cert = layer
                .annotations
                .get(CERTIFICATE_ANNOTATION)
                .ok_or_else(|| {
                    Failure::new(
                        FailureKind::UntrustedCertificate,
                        "the signature has no certificate (signed with a key, not keyless)",
                    )
                })?;
            let time = entry.as_ref().map_or_else(now, |e| e.integrated_time);
            let chain = layer
                .annotations
                .get(CHAIN_ANNOTATION)
                .map(String::as_bytes);
            let (info, key) = verify_certificate(cert.as_bytes(), chain, check.trust, time)?;
            let logged_der = pem::parse(cert.as_bytes())
                .map(|p| p.contents().to_vec())
                .unwrap_or_default();
            Ok(Established {
                entry,
                key: SigningKey::Certificate(Box::new(key), info),
                logged_der,
            })
        }
    }
}

/// Verifies one `.sig` layer for the image `digest` (`sha256:<hex>`).
pub fn verify_sig_layer(
    layer: &SigLayer,
    digest: &str,
    check: &SigCheck<'_>,
) -> Result<crate::Verified, Failure> {
    if layer.media_type != SIMPLE_SIGNING {
        return Err(Failure::new(
            FailureKind::Unsigned,
            format!(
                "a `{}` attachment, not a signature",
                if layer.media_type.is_empty() {
                    "untyped"
                } else {
                    &layer.media_type
                }
            ),
        ));
    }
    let signature = layer
        .annotations
        .get(SIGNATURE_ANNOTATION)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Failure::new(
                FailureKind::BadSignature,
                "a signature layer without its signature annotation",
            )
        })?;
    let established = establish(layer, check)?;
    if !established.verify(signature, &layer.payload) {
        return Err(established.bad_signature());
    }
    if let Some(e) = &established.entry {
        check_hashedrekord(e, &layer.payload, signature, &established.logged_der)?;
    }
    let subject = crate::Subject {
        repository: String::new(),
        digest: digest.to_string(),
    };
    let (docker_reference, annotations) =
        crate::check_payload(&layer.payload, &subject, check.check_reference.as_deref()).map_err(
            |mut f| {
                // Said without the repository, which the caller prefixes.
                if let Some(rest) = f.message.strip_prefix(&format!("@{digest}: ")) {
                    f.message = rest.to_string();
                }
                f
            },
        )?;
    established.finish(check, docker_reference, annotations)
}

/// Media type of a DSSE envelope layer (`cosign attest`).
pub const DSSE: &str = "application/vnd.dsse.envelope.v1+json";

/// An in-toto attestation whose envelope verified.
#[derive(Debug, Clone)]
pub struct Attestation {
    pub predicate_type: String,
    /// The whole in-toto statement.
    pub statement: serde_json::Value,
    pub verified: crate::Verified,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload_type: String,
    payload: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Deserialize)]
struct EnvelopeSignature {
    sig: String,
}

/// DSSE's pre-authentication encoding: what the signature covers.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Verifies one `.att` layer (a DSSE envelope holding an in-toto statement)
/// for the image `digest`: the envelope's signature, its log entry, the
/// signer, and that the statement's subject is the image.
pub fn verify_att_layer(
    layer: &SigLayer,
    digest: &str,
    check: &SigCheck<'_>,
) -> Result<Attestation, Failure> {
    let bad = |m: String| Failure::new(FailureKind::InvalidBundle, m);
    if layer.media_type != DSSE {
        return Err(Failure::new(
            FailureKind::Unsigned,
            format!("a `{}` layer, not a DSSE attestation", layer.media_type),
        ));
    }
    let envelope: Envelope = serde_json::from_slice(&layer.payload)
        .map_err(|e| bad(format!("the attestation is not a DSSE envelope: {e}")))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64
        .decode(&envelope.payload)
        .map_err(|e| bad(format!("the envelope's payload is not base64: {e}")))?;
    let established = establish(layer, check)?;
    let message = pae(&envelope.payload_type, &payload);
    let Some(signature) = envelope
        .signatures
        .iter()
        .find(|s| established.verify(&s.sig, &message))
    else {
        return Err(established.bad_signature());
    };
    if let Some(e) = &established.entry {
        check_attestation_entry(
            e,
            &layer.payload,
            &payload,
            &signature.sig,
            &established.logged_der,
        )?;
    }
    if envelope.payload_type != "application/vnd.in-toto+json" {
        return Err(bad(format!(
            "the envelope holds `{}`, not an in-toto statement",
            envelope.payload_type
        )));
    }
    let statement: serde_json::Value = serde_json::from_slice(&payload)
        .map_err(|e| bad(format!("the in-toto statement is not JSON: {e}")))?;
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    let subjects = statement["subject"].as_array().cloned().unwrap_or_default();
    if !subjects.iter().any(|s| s["digest"]["sha256"] == hex) {
        let named: Vec<String> = subjects
            .iter()
            .filter_map(|s| s["digest"]["sha256"].as_str())
            .map(|d| format!("sha256:{}", &d[..d.len().min(12)]))
            .collect();
        return Err(Failure::new(
            FailureKind::DigestMismatch,
            format!(
                "the attestation is about {}, not {digest}",
                if named.is_empty() {
                    "no digest".to_string()
                } else {
                    named.join(", ")
                }
            ),
        ));
    }
    let predicate_type = statement["predicateType"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let verified = established.finish(check, None, BTreeMap::new())?;
    Ok(Attestation {
        predicate_type,
        statement,
        verified,
    })
}

/// An attestation's log entry: `intoto` (the envelope's and payload's
/// hashes, the certificate) or `dsse` (payload hash, signature, verifier).
fn check_attestation_entry(
    entry: &LogEntry,
    envelope: &[u8],
    payload: &[u8],
    signature: &str,
    logged_der: &[u8],
) -> Result<(), Failure> {
    let spec = &entry.body["spec"];
    let payload_hash = hex::encode(sha2::Sha256::digest(payload));
    let mismatch = |what: &str| {
        Failure::new(
            FailureKind::TlogEntryMismatch,
            format!(
                "transparency-log entry {} is not about this attestation: its {what} differs",
                entry.log_index
            ),
        )
    };
    let (hash, key) = match entry.body["kind"].as_str().unwrap_or("") {
        "intoto" => {
            let envelope_hash = hex::encode(sha2::Sha256::digest(envelope));
            if spec["content"]["hash"]["value"] != envelope_hash {
                return Err(mismatch("envelope hash"));
            }
            (&spec["content"]["payloadHash"], &spec["publicKey"])
        }
        "dsse" => {
            let logged = spec["signatures"].as_array().and_then(|s| {
                s.iter()
                    .find(|s| decode_b64(s["signature"].as_str()) == decode_b64(Some(signature)))
            });
            let Some(logged) = logged else {
                return Err(mismatch("signature"));
            };
            (&spec["payloadHash"], &logged["verifier"])
        }
        other => {
            return Err(Failure::new(
                FailureKind::TlogEntryMismatch,
                format!(
                    "transparency-log entry {} is a `{other}` entry, not an attestation's `intoto` or `dsse`",
                    entry.log_index
                ),
            ));
        }
    };
    if hash["algorithm"] != "sha256" || hash["value"] != payload_hash {
        return Err(mismatch("payload hash"));
    }
    if logged_pem_der(key.as_str()).as_deref() != Some(logged_der) {
        return Err(mismatch("certificate or public key"));
    }
    Ok(())
}

fn decode_b64(s: Option<&str>) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(s?).ok()
}

/// A log entry's `publicKey`/`verifier`: base64 of a PEM certificate or key.
fn logged_pem_der(content: Option<&str>) -> Option<Vec<u8>> {
    let pem_text = decode_b64(content)?;
    pem::parse(pem_text).ok().map(|p| p.contents().to_vec())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The log entry must be about this signature: a `hashedrekord` of the
/// payload's sha256 with this signature and certificate or key.
fn check_hashedrekord(
    entry: &LogEntry,
    payload: &[u8],
    signature: &str,
    public_key_der: &[u8],
) -> Result<(), Failure> {
    let mismatch = |what: &str| {
        Failure::new(
            FailureKind::TlogEntryMismatch,
            format!(
                "transparency-log entry {} is not about this signature: its {what} differs",
                entry.log_index
            ),
        )
    };
    let kind = entry.body["kind"].as_str().unwrap_or("");
    if kind != "hashedrekord" {
        return Err(Failure::new(
            FailureKind::TlogEntryMismatch,
            format!(
                "transparency-log entry {} is a `{kind}` entry, not the `hashedrekord` of a signature",
                entry.log_index
            ),
        ));
    }
    let spec = &entry.body["spec"];
    let hash = hex::encode(sha2::Sha256::digest(payload));
    if spec["data"]["hash"]["algorithm"] != "sha256" || spec["data"]["hash"]["value"] != hash {
        return Err(mismatch("payload hash"));
    }
    let logged_sig = spec["signature"]["content"].as_str().unwrap_or("");
    let b64 = base64::engine::general_purpose::STANDARD;
    if b64.decode(logged_sig).ok() != b64.decode(signature).ok() {
        return Err(mismatch("signature"));
    }
    let logged_key = logged_pem_der(spec["signature"]["publicKey"]["content"].as_str());
    if logged_key.as_deref() != Some(public_key_der) {
        return Err(mismatch("certificate or public key"));
    }
    Ok(())
}

fn match_policy(policy: &CertificatePolicy, info: &CertificateInfo) -> Result<(), Failure> {
    let identity = info.identity.as_deref().unwrap_or("");
    if !policy.identity.matches(identity) {
        return Err(Failure::new(
            FailureKind::IdentityMismatch,
            format!(
                "signed by identity `{identity}`, but the policy requires {}",
                policy.identity.describe()
            ),
        ));
    }
    let issuer = info.issuer.as_deref().unwrap_or("");
    if !policy.issuer.matches(issuer) {
        return Err(Failure::new(
            FailureKind::IssuerMismatch,
            format!(
                "signed by issuer `{issuer}`, but the policy requires {}",
                policy.issuer.describe()
            ),
        ));
    }
    for (claim, want) in &policy.claims {
        let got = info.claims.get(claim).map(String::as_str);
        if !got.is_some_and(|g| want.matches(g)) {
            return Err(Failure::new(
                FailureKind::IdentityMismatch,
                format!(
                    "the certificate's {} is {}, but the policy requires {}",
                    claim.name(),
                    got.map(|g| format!("`{g}`"))
                        .unwrap_or_else(|| "absent".into()),
                    want.describe()
                ),
            ));
        }
    }
    Ok(())
}
