//! plimsoll's built-in signature policy. Policies in `[sign-verify]` map image
//! globs to authorities (a public key, a keyless identity and issuer, or a
//! static pass/fail), as sigstore policy-controller's ClusterImagePolicy does:
//! every policy whose globs match an image must pass, and a policy passes when
//! any one of its authorities verifies (and the signature carries the required
//! annotations). The host verifies (`signatures` capability): no crypto runs
//! here.
//!
//! With `check-base-images = true`, every base image (`FROM`, after `ARG`
//! substitution) of the checked Dockerfiles is held to the policies.

mod policy;

use plimsoll_plugin_sdk::images::{ImageKind, image_uses};
use plimsoll_plugin_sdk::prelude::*;
use plimsoll_plugin_sdk::signatures::{self, Authority, VerifyError};

pub use policy::{AuthoritySpec, Mode, Policy, Settings as SignSettings, glob_match};

declare_rule! {
    /// ## What it does
    /// Reports an image that does not satisfy a signature policy of
    /// `[sign-verify]`: unsigned, signed by another key or identity, a
    /// signature over another digest, missing required annotations, or not
    /// verifiable at all (the registry could not be asked). Every policy whose
    /// `images` globs match must pass; a policy passes when one of its
    /// authorities does. An error in `enforce` mode, a warning in `warn` mode.
    ///
    /// ## Why is this bad?
    /// A build on an unsigned or wrongly signed base runs code nobody vouched
    /// for. Admitting only images signed by the expected key or CI identity is
    /// what sigstore's policy-controller does at deploy time; this does it at
    /// build time, in CI.
    ///
    /// ## Example
    /// ```toml
    /// [sign-verify]
    /// check-base-images = true
    /// [[sign-verify.policies]]
    /// name = "ours"
    /// images = ["registry.example.com/team/**"]
    /// [[sign-verify.policies.authorities]]
    /// key = "keys/cosign.pub"
    /// ```
    /// ```dockerfile
    /// FROM registry.example.com/team/base:1.4   # not signed by keys/cosign.pub
    /// ```
    ///
    /// ## Use instead
    /// Sign the image in its release pipeline (`cosign sign --key ...` or
    /// keyless), or build on one that is signed.
    ///
    /// ## References
    /// - sigstore policy-controller ClusterImagePolicy; `cosign verify`
    pub static POLICY_FAILED = Rule {
        id: "PL7001",
        name: "signature-policy-failed",
        summary: "Image does not satisfy its signature policy",
        level: Level::Error,
        tags: &["security", "supply-chain", "signatures"],
    };
}

pub static RULES: &[&Rule] = &[&POLICY_FAILED];

pub struct SignVerify;

impl DockerfilePlugin for SignVerify {
    fn info() -> PluginInfo {
        PluginInfo::new("sign-verify", env!("CARGO_PKG_VERSION"), RULES)
            .description("Images signed by the right key or identity (cosign)")
            .settings_schema(policy::SCHEMA)
    }

    fn validate_settings(settings: &Settings) -> Result<(), String> {
        SignSettings::from_json(settings).map(|_| ())
    }

    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String> {
        let s = SignSettings::from_json(settings)?;
        Ok(check(doc, &s))
    }
}

plimsoll_plugin_sdk::dockerfile_plugin!(SignVerify);

/// The outcome of holding one image to one policy.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(Vec<String>),
}

/// Holds `reference` to `policy`: any authority that passes is enough.
pub fn evaluate(reference: &str, policy: &Policy) -> Outcome {
    let mut reasons = Vec::new();
    for a in &policy.authorities {
        let (label, authority) = match a {
            AuthoritySpec::Static { pass: true } => return Outcome::Pass,
            AuthoritySpec::Static { pass: false } => {
                reasons.push("the policy fails every image it matches (static: fail)".into());
                continue;
            }
            AuthoritySpec::Key { label, pem } => (label.clone(), Authority::Key(pem.clone())),
            AuthoritySpec::Keyless { label, authority } => {
                (label.clone(), Authority::Keyless(authority.clone()))
            }
        };
        match signatures::verify(reference, &authority) {
            Ok(sigs) => {
                let with_annotations = sigs.iter().any(|s| {
                    policy
                        .annotations
                        .iter()
                        .all(|(k, v)| s.annotations.iter().any(|(sk, sv)| sk == k && sv == v))
                });
                if with_annotations {
                    return Outcome::Pass;
                }
                let want: Vec<String> = policy
                    .annotations
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                reasons.push(format!(
                    "{label}: signed, but no signature carries the required annotations {}",
                    want.join(", ")
                ));
            }
            Err(VerifyError::Failed(f)) => {
                reasons.push(format!("{label}: {} ({})", f.message, f.kind))
            }
            Err(VerifyError::Host(e)) => reasons.push(format!(
                "{label}: could not be verified: {}",
                host_reason(&e)
            )),
        }
    }
    Outcome::Fail(reasons)
}

fn host_reason(e: &plimsoll_plugin_sdk::registry::HostError) -> String {
    use plimsoll_plugin_sdk::registry::HostError as H;
    match e {
        H::Denied(m)
        | H::NotFound(m)
        | H::Unauthorized(m)
        | H::Unavailable(m)
        | H::InvalidInput(m)
        | H::Other(m) => m.clone(),
        H::Timeout => "the registry timed out".into(),
        H::RateLimited(_) => "the registry rate-limited us".into(),
    }
}

pub fn check(doc: &Document, s: &SignSettings) -> Vec<Finding> {
    if !s.check_base_images {
        return Vec::new();
    }
    let mut out = Vec::new();
    for u in image_uses(&doc.parsed)
        .into_iter()
        .filter(|u| matches!(u.kind, ImageKind::From { .. }))
    {
        let name = policy::canonical(&u.reference);
        for p in s.policies.iter().filter(|p| p.matches(&name)) {
            if let Outcome::Fail(reasons) = evaluate(&u.reference, p) {
                let level = match p.mode {
                    Mode::Enforce => Level::Error,
                    Mode::Warn => Level::Warning,
                };
                out.push(
                    Finding::new(
                        &POLICY_FAILED,
                        format!(
                            "`{}` does not satisfy signature policy `{}`: {}",
                            u.reference,
                            p.name,
                            reasons.join("; ")
                        ),
                    )
                    .at(u.span)
                    .level(level),
                );
            }
        }
    }
    out
}
