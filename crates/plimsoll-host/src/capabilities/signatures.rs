//! `signatures`: verifying an image reference against an authority.

use super::host_error;
use crate::Capability;
use crate::bindings::plimsoll::plugin::signatures as wsig;
use crate::bindings::plimsoll::plugin::types as wtypes;
use crate::services;
use crate::store::StoreState;

/// Keys, trusted roots and references larger than this are invalid input.
const MAX_AUTHORITY_BYTES: usize = 1 << 20;

impl wsig::Host for StoreState {
    fn verify(
        &mut self,
        reference: String,
        authority: wsig::Authority,
    ) -> Result<Vec<wsig::VerifiedSignature>, wsig::VerifyError> {
        let authority = match authority {
            wsig::Authority::Key(k) => services::Authority::Key {
                pem: k.public_key,
                docker_reference: k.docker_reference,
            },
            wsig::Authority::Keyless(k) => services::Authority::Keyless {
                identity: k.identity,
                identity_is_regex: k.identity_is_regex,
                issuer: k.issuer,
                issuer_is_regex: k.issuer_is_regex,
                trusted_root: k.trusted_root,
            },
        };
        let size = match &authority {
            services::Authority::Key {
                pem,
                docker_reference,
            } => pem.len() + docker_reference.as_ref().map_or(0, String::len),
            services::Authority::Keyless { trusted_root, .. } => trusted_root.len(),
        };
        let verified = self
            .host_call(Capability::Signatures, 1, |s| {
                if size > MAX_AUTHORITY_BYTES || reference.len() > 4096 {
                    return Err(wtypes::HostError::InvalidInput(
                        "authority or reference too large".into(),
                    ));
                }
                Ok(s.services().verify_signature(&reference, &authority))
            })
            .map_err(wsig::VerifyError::Host)?;
        verified
            .map(|list| {
                list.into_iter()
                    .map(|v| wsig::VerifiedSignature {
                        method: v.method,
                        identity: v.identity,
                        issuer: v.issuer,
                        key_id: v.key_id,
                        annotations: v.annotations,
                    })
                    .collect()
            })
            .map_err(|e| match e {
                services::VerifyError::Failed { kind, message } => {
                    wsig::VerifyError::Failed(wsig::VerifyFailure { kind, message })
                }
                services::VerifyError::Host(h) => wsig::VerifyError::Host(host_error(h)),
            })
    }
}
