//! Signature verification through the host (needs the `signatures`
//! capability in config). The host fetches signatures with its registry
//! client and runs the crypto; the plugin decides what to require.

pub use crate::bindings::plimsoll::plugin::signatures::{
    Attestation, Authority, CertificateClaim, KeyAuthority, KeylessAuthority, LogEntry, Verified,
    VerifiedSignature, VerifyError, VerifyFailure, VerifyOptions,
};

/// Verifies the image `reference` (tag or digest) against `authority`.
pub fn verify(
    reference: &str,
    authority: &Authority,
) -> Result<Vec<VerifiedSignature>, VerifyError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::plimsoll::plugin::signatures::verify(reference, authority);
    #[cfg(not(target_arch = "wasm32"))]
    return testing::verify(reference, authority);
}

/// Verifies `reference` against `authority` with `options` (transparency
/// log mode, a trusted root for key signatures' Rekor bundles, certificate
/// claims); each signature with the log entry checked.
pub fn verify_with(
    reference: &str,
    authority: &Authority,
    options: &VerifyOptions,
) -> Result<Vec<Verified>, VerifyError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::plimsoll::plugin::signatures::verify_with(
        reference, authority, options,
    );
    #[cfg(not(target_arch = "wasm32"))]
    return testing::verify_with(reference, authority, options);
}

/// The in-toto attestations of `reference` signed by `authority` (verified
/// by the host), of `predicate_type` when given.
pub fn verify_attestations(
    reference: &str,
    authority: &Authority,
    options: &VerifyOptions,
    predicate_type: Option<&str>,
) -> Result<Vec<Attestation>, VerifyError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::plimsoll::plugin::signatures::verify_attestations(
        reference,
        authority,
        options,
        predicate_type,
    );
    #[cfg(not(target_arch = "wasm32"))]
    return testing::verify_attestations(reference, authority, options, predicate_type);
}

// A generated record: it cannot derive Default itself.
#[allow(clippy::derivable_impls)]
impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            tlog: String::new(),
            trusted_root: None,
            claims: Vec::new(),
        }
    }
}

/// Native stand-in for unit tests: answers from what [`testing::mock`] registered.
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    type Answer = Result<Vec<VerifiedSignature>, VerifyError>;
    type AttestationAnswer = Result<Vec<Attestation>, VerifyError>;

    thread_local! {
        static ANSWERS: RefCell<HashMap<(String, String), Answer>> = RefCell::new(HashMap::new());
        static ATTESTATIONS: RefCell<HashMap<(String, String), AttestationAnswer>> = RefCell::new(HashMap::new());
        static OPTIONS_SEEN: RefCell<Vec<VerifyOptions>> = const { RefCell::new(Vec::new()) };
    }

    /// Makes [`super::verify_attestations`] answer (`reference`, authority)
    /// with `answer` (filtered by predicate type as the host does).
    pub fn mock_attestations(reference: &str, authority: &str, answer: AttestationAnswer) {
        ATTESTATIONS.with(|m| {
            m.borrow_mut()
                .insert((reference.to_string(), authority.to_string()), answer)
        });
    }

    /// The options the plugin passed to `verify_with`/`verify_attestations`
    /// on this thread, in order (and forgets them).
    pub fn options_seen() -> Vec<VerifyOptions> {
        OPTIONS_SEEN.with(|o| std::mem::take(&mut *o.borrow_mut()))
    }

    pub(super) fn verify_with(
        reference: &str,
        authority: &Authority,
        options: &VerifyOptions,
    ) -> Result<Vec<Verified>, VerifyError> {
        OPTIONS_SEEN.with(|o| o.borrow_mut().push(options.clone()));
        verify(reference, authority).map(|list| {
            list.into_iter()
                .map(|signature| Verified {
                    signature,
                    log_entry: None,
                })
                .collect()
        })
    }

    pub(super) fn verify_attestations(
        reference: &str,
        authority: &Authority,
        options: &VerifyOptions,
        predicate_type: Option<&str>,
    ) -> AttestationAnswer {
        OPTIONS_SEEN.with(|o| o.borrow_mut().push(options.clone()));
        let key = (reference.to_string(), authority_key(authority));
        let answer = ATTESTATIONS.with(|m| m.borrow().get(&key).cloned());
        match answer {
            None => Err(VerifyError::Failed(VerifyFailure {
                kind: "unsigned".into(),
                message: format!("{reference}: no mock attestation"),
            })),
            Some(Ok(list)) => {
                let list: Vec<Attestation> = list
                    .into_iter()
                    .filter(|a| predicate_type.is_none_or(|t| t == a.predicate_type))
                    .collect();
                if list.is_empty() {
                    Err(VerifyError::Failed(VerifyFailure {
                        kind: "predicate-mismatch".into(),
                        message: format!("{reference}: no attestation of that type"),
                    }))
                } else {
                    Ok(list)
                }
            }
            Some(Err(e)) => Err(e),
        }
    }

    /// A short name for an authority, for mocks: the key PEM, or the keyless identity.
    pub fn authority_key(a: &Authority) -> String {
        match a {
            Authority::Key(k) => k.public_key.clone(),
            Authority::Keyless(k) => k.identity.clone(),
        }
    }

    /// Makes [`super::verify`] answer (`reference`, authority named by
    /// [`authority_key`]) with `answer` on this thread.
    pub fn mock(reference: &str, authority: &str, answer: Answer) {
        ANSWERS.with(|m| {
            m.borrow_mut()
                .insert((reference.to_string(), authority.to_string()), answer)
        });
    }

    pub(super) fn verify(reference: &str, authority: &Authority) -> Answer {
        let key = (reference.to_string(), authority_key(authority));
        ANSWERS.with(|m| {
            m.borrow().get(&key).cloned().unwrap_or_else(|| {
                Err(VerifyError::Failed(VerifyFailure {
                    kind: "unsigned".into(),
                    message: format!("{reference}: no mock signature"),
                }))
            })
        })
    }
}
