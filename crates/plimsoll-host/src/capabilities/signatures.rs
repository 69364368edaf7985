//! `signatures`: verifying an image reference against an authority.

use super::host_error;
use crate::Capability;
use crate::bindings::plimsoll::plugin::signatures as wsig;
use crate::bindings::plimsoll::plugin::types as wtypes;
use crate::services;
use crate::store::StoreState;

/// Keys, trusted roots and references larger than this are invalid input.
const MAX_AUTHORITY_BYTES: usize = 1 << 20;

fn authority(a: wsig::Authority) -> services::Authority {
    match a {
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
    }
}

fn options(o: wsig::VerifyOptions) -> services::VerifyOptions {
    services::VerifyOptions {
        tlog: o.tlog,
        trusted_root: o.trusted_root,
        claims: o
            .claims
            .into_iter()
            .map(|c| (c.name, c.value, c.is_regex))
            .collect(),
    }
}

/// The bytes a plugin hands over, for the size limit.
fn size(a: &services::Authority, o: &services::VerifyOptions, reference: &str) -> usize {
    let a = match a {
        services::Authority::Key {
            pem,
            docker_reference,
        } => pem.len() + docker_reference.as_ref().map_or(0, String::len),
        services::Authority::Keyless { trusted_root, .. } => trusted_root.len(),
    };
    let o = o.tlog.len()
        + o.trusted_root.as_ref().map_or(0, String::len)
        + o.claims
            .iter()
            .map(|(n, v, _)| n.len() + v.len())
            .sum::<usize>();
    a + o + reference.len()
}

fn signature(v: services::VerifiedSignature) -> wsig::VerifiedSignature {
    wsig::VerifiedSignature {
        method: v.method,
        identity: v.identity,
        issuer: v.issuer,
        key_id: v.key_id,
        annotations: v.annotations,
    }
}

fn verified(v: services::VerifiedSignature) -> wsig::Verified {
    let log_entry = v.log_entry.map(|(index, integrated_time)| wsig::LogEntry {
        index,
        integrated_time,
    });
    wsig::Verified {
        signature: signature(v),
        log_entry,
    }
}

fn verify_error(e: services::VerifyError) -> wsig::VerifyError {
    match e {
        services::VerifyError::Failed { kind, message } => {
            wsig::VerifyError::Failed(wsig::VerifyFailure { kind, message })
        }
        services::VerifyError::Host(h) => wsig::VerifyError::Host(host_error(h)),
    }
}

impl StoreState {
    /// One metered `signatures` call, with the size limit on its input.
    fn signatures_call<T>(
        &mut self,
        reference: &str,
        authority: &services::Authority,
        options: &services::VerifyOptions,
        call: impl FnOnce(&dyn services::SignatureService) -> Result<T, services::VerifyError>,
    ) -> Result<T, wsig::VerifyError> {
        let too_large =
            size(authority, options, reference) > MAX_AUTHORITY_BYTES || reference.len() > 4096;
        self.host_call(Capability::Signatures, 1, |s| {
            if too_large {
                return Err(wtypes::HostError::InvalidInput(
                    "authority, options or reference too large".into(),
                ));
            }
            let signatures = s.services().signatures().map_err(host_error)?;
            Ok(call(signatures))
        })
        .map_err(wsig::VerifyError::Host)?
        .map_err(verify_error)
    }
}

impl wsig::Host for StoreState {
    fn verify(
        &mut self,
        reference: String,
        authority: wsig::Authority,
    ) -> Result<Vec<wsig::VerifiedSignature>, wsig::VerifyError> {
        let authority = self::authority(authority);
        let options = services::VerifyOptions::default();
        self.signatures_call(&reference, &authority, &options, |s| {
            s.verify(&reference, &authority, &options)
        })
        .map(|list| list.into_iter().map(signature).collect())
    }

    fn verify_with(
        &mut self,
        reference: String,
        authority: wsig::Authority,
        options: wsig::VerifyOptions,
    ) -> Result<Vec<wsig::Verified>, wsig::VerifyError> {
        let authority = self::authority(authority);
        let options = self::options(options);
        self.signatures_call(&reference, &authority, &options, |s| {
            s.verify(&reference, &authority, &options)
        })
        .map(|list| list.into_iter().map(verified).collect())
    }

    fn verify_attestations(
        &mut self,
        reference: String,
        authority: wsig::Authority,
        options: wsig::VerifyOptions,
        predicate_type: Option<String>,
    ) -> Result<Vec<wsig::Attestation>, wsig::VerifyError> {
        let authority = self::authority(authority);
        let options = self::options(options);
        self.signatures_call(&reference, &authority, &options, |s| {
            s.verify_attestations(&reference, &authority, &options, predicate_type.as_deref())
        })
        .map(|list| {
            list.into_iter()
                .map(|a| wsig::Attestation {
                    predicate_type: a.predicate_type,
                    statement: a.statement,
                    signer: verified(a.signer),
                })
                .collect()
        })
    }
}
