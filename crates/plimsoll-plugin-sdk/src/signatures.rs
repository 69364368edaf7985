//! Signature verification through the host (needs the `signatures`
//! capability in config). The host fetches signatures with its registry
//! client and runs the crypto; the plugin decides what to require.

pub use crate::bindings::plimsoll::plugin::signatures::{
    Authority, KeyAuthority, KeylessAuthority, VerifiedSignature, VerifyError, VerifyFailure,
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

/// Native stand-in for unit tests: answers from what [`testing::mock`] registered.
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    type Answer = Result<Vec<VerifiedSignature>, VerifyError>;

    thread_local! {
        static ANSWERS: RefCell<HashMap<(String, String), Answer>> = RefCell::new(HashMap::new());
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
