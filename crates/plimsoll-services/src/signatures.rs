//! The `signatures` capability: cosign signatures, keyless bundles and
//! in-toto attestations, verified with plimsoll-sigstore over the run's
//! registry client (the same credentials, CA files, cache and `--offline`
//! as everything else), once per (reference, authority, options) per run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use plimsoll_host::{
    Attestation, Authority, SignatureService, VerifiedSignature, VerifyError, VerifyOptions,
};
use plimsoll_oci::{Registry, RegistryError};

use crate::registry::{RegistryAccess, host_error};

type Verification = Result<Vec<VerifiedSignature>, VerifyError>;
type VerificationSlot = Arc<OnceLock<Verification>>;

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

/// Verifies signatures for the run's plugins (and `plugin add`'s
/// `verify` policy).
pub struct SignatureVerifier {
    registry: Arc<RegistryAccess>,
    /// Verifications already made this run: a base image shared by many
    /// Dockerfiles is fetched and checked once per authority.
    verified: Mutex<HashMap<(String, Authority, VerifyOptions), VerificationSlot>>,
}

impl SignatureVerifier {
    pub fn new(registry: Arc<RegistryAccess>) -> SignatureVerifier {
        SignatureVerifier {
            registry,
            verified: Mutex::default(),
        }
    }

    /// The failure of a verification as the plugin sees it: a registry
    /// problem is the host's (and noted as a run error when fatal).
    fn verify_failed(&self, f: plimsoll_sigstore::Failure) -> VerifyError {
        match f.registry_kind {
            Some(kind) => VerifyError::Host(
                self.registry
                    .note::<()>(Err(RegistryError::new(kind, f.message)))
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
        let client = match self.registry.client() {
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
}

impl SignatureService for SignatureVerifier {
    fn verify(
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
