//! plimsoll's built-in signature policy. Policies in `[sign-verify]` map image
//! globs to authorities (a public key, a keyless identity and issuer, or a
//! static pass/fail), as sigstore policy-controller's ClusterImagePolicy does:
//! every policy whose globs match an image must pass, and a policy passes when
//! any one of its authorities verifies (and the signature carries the required
//! annotations). The host verifies (`signatures` capability): no crypto runs
//! here.
//!
//! With `check-base-images = true`, every base image (`FROM`, after `ARG`
//! substitution) of the checked Dockerfiles is held to the policies; with
//! `check-manifest-images = true`, every image of the checked compose files,
//! Kubernetes manifests, workflows, GitLab CI files and devcontainer.json.

mod policy;

use plimsoll_analysis::images::{ImageKind, image_uses};
use plimsoll_plugin_sdk::prelude::*;

// As the lint plugin (see there).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static ALLOC: plimsoll_plugin_sdk::alloc::SizeClasses<talc::wasm::WasmDynamicTalc> =
    plimsoll_plugin_sdk::alloc::SizeClasses::new(talc::wasm::new_wasm_dynamic_allocator());
use plimsoll_plugin_sdk::signatures::{self, Authority, KeyAuthority, Verified, VerifyError};

pub use policy::{AuthoritySpec, Mode, Policy, Settings as SignSettings, glob_match};

declare_rule! {
    /// ## What it does
    /// Reports an image that does not satisfy a signature policy of
    /// `[sign-verify]`: unsigned, signed by another key or identity, a
    /// signature over another digest, missing required annotations, or not
    /// verifiable at all (the registry could not be asked). Every policy whose
    /// `images` globs match must pass; a policy passes when one of its
    /// authorities does. An error in `enforce` mode; a note in `warn` mode
    /// (shown, but below the default `--fail-on warning`, as policy-controller's
    /// warn mode admits the image). Applied to `plimsoll check --image REF`,
    /// with `check-base-images = true` to every `FROM` image, and with
    /// `check-manifest-images = true` to every image of a compose file,
    /// Kubernetes manifest, workflow, GitLab CI file or devcontainer.json.
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

declare_rule! {
    /// ## What it does
    /// Reports an image that satisfies a signature policy whose
    /// `report-verified = true` — always the policy `plimsoll check --image
    /// REF --key ...` / `--certificate-identity ...` makes — saying what was
    /// verified: the signer (key id, or certificate identity and OIDC
    /// issuer), the transparency-log entry and its time, and for attestations
    /// the predicate, builder and source. A note: it never fails a run.
    ///
    /// ## Why is this bad?
    /// It is not: it is the record `cosign verify` prints, kept in every
    /// output format (JSON, SARIF) so a CI log shows who vouched for the
    /// image.
    ///
    /// ## Example
    /// ```console
    /// plimsoll check --image ghcr.io/org/app@sha256:... --key cosign.pub
    /// ```
    ///
    /// ## Use instead
    /// Nothing to change. `--ignore PL7002` leaves the record out.
    ///
    /// ## References
    /// - `cosign verify`; `slsa-verifier verify-image`
    pub static VERIFIED = Rule {
        id: "PL7002",
        name: "signature-verified",
        summary: "Image satisfies its signature policy (what was verified)",
        level: Level::Note,
        tags: &["supply-chain", "signatures"],
    };
}

pub static RULES: &[&Rule] = &[&POLICY_FAILED, &VERIFIED];

pub struct SignVerify;

impl DockerfilePlugin for SignVerify {
    fn info() -> PluginInfo {
        PluginInfo::new("sign-verify", env!("CARGO_PKG_VERSION"), RULES)
            .description("Images signed by the right key or identity (cosign)")
            .settings_schema(policy::schema())
    }

    fn validate_settings(settings: &Settings) -> Result<(), String> {
        SignSettings::from_json(settings).map(|_| ())
    }

    fn check(doc: &Document, settings: &Settings) -> Result<Vec<Finding>, String> {
        let s = SignSettings::from_json(settings)?;
        Ok(check(doc, &s))
    }

    fn check_image(image: &ImageTarget, settings: &Settings) -> Result<Vec<Finding>, String> {
        let s = SignSettings::from_json(settings)?;
        Ok(check_image(image, &s))
    }

    fn manifest_kinds() -> &'static [&'static str] {
        plimsoll_plugin_sdk::manifest::KINDS
    }

    fn check_manifest(doc: &Manifest, settings: &Settings) -> Result<Vec<Finding>, String> {
        let s = SignSettings::from_json(settings)?;
        Ok(check_manifest(doc, &s))
    }
}

plimsoll_plugin_sdk::dockerfile_plugin!(SignVerify);

/// The outcome of holding one image to one policy.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Passed; what verified (who signed, the log entry, the attestation).
    Pass(String),
    Fail(Vec<String>),
}

/// Holds `reference` to `policy`: any authority that passes is enough.
pub fn evaluate(reference: &str, policy: &Policy) -> Outcome {
    let mut reasons = Vec::new();
    for a in &policy.authorities {
        let (label, authority, extra) = match a {
            AuthoritySpec::Static { pass: true } => {
                return Outcome::Pass("static: pass".into());
            }
            AuthoritySpec::Static { pass: false } => {
                reasons.push("the policy fails every image it matches (static: fail)".into());
                continue;
            }
            AuthoritySpec::Key { label, pem, extra } => (
                label.clone(),
                Authority::Key(KeyAuthority {
                    public_key: pem.clone(),
                    docker_reference: policy.check_reference.then(|| policy::canonical(reference)),
                }),
                extra,
            ),
            AuthoritySpec::Keyless {
                label,
                authority,
                extra,
            } => (label.clone(), Authority::Keyless(authority.clone()), extra),
        };
        let verdict = if extra.attestations.is_empty() {
            signatures_pass(reference, &authority, extra, policy)
        } else {
            attestations_pass(reference, &authority, extra)
        };
        match verdict {
            Ok(said) => return Outcome::Pass(format!("{label}: {said}")),
            Err(reason) => reasons.push(format!("{label}: {reason}")),
        }
    }
    Outcome::Fail(reasons)
}

/// Why a verification failed, as a reason.
fn verify_reason(e: &VerifyError) -> String {
    match e {
        VerifyError::Failed(f) => format!("{} ({})", f.message, f.kind),
        VerifyError::Host(e) => format!("could not be verified: {}", host_reason(e)),
    }
}

/// "signed by identity X (issuer Y), log entry N of T" or "signed by key K".
fn describe(v: &Verified) -> String {
    let s = &v.signature;
    let who = match (&s.identity, &s.issuer, &s.key_id) {
        (Some(i), Some(iss), _) => format!("signed by `{i}` (issuer `{iss}`)"),
        (Some(i), None, _) => format!("signed by `{i}`"),
        (None, _, Some(k)) => format!("signed by key {k}"),
        _ => "signed".to_string(),
    };
    match &v.log_entry {
        Some(e) => format!(
            "{who}, transparency-log entry {} at {}",
            e.index,
            plimsoll_plugin_sdk::date::rfc3339(e.integrated_time)
        ),
        None => who,
    }
}

/// The signatures of `reference` by `authority`, with the policy's
/// required annotations.
fn signatures_pass(
    reference: &str,
    authority: &Authority,
    extra: &policy::Extra,
    policy: &Policy,
) -> Result<String, String> {
    let sigs = signatures::verify_with(reference, authority, &extra.options)
        .map_err(|e| verify_reason(&e))?;
    let with_annotations = sigs.iter().find(|v| {
        policy.annotations.iter().all(|(k, want)| {
            v.signature
                .annotations
                .iter()
                .any(|(sk, sv)| sk == k && sv == want)
        })
    });
    match with_annotations {
        Some(v) => Ok(describe(v)),
        None => {
            let want: Vec<String> = policy
                .annotations
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            Err(format!(
                "signed, but no signature carries the required annotations {}",
                want.join(", ")
            ))
        }
    }
}

/// Every required attestation of `reference`, signed by `authority`, with
/// its predicate's checks (SLSA provenance, field equalities).
fn attestations_pass(
    reference: &str,
    authority: &Authority,
    extra: &policy::Extra,
) -> Result<String, String> {
    use plimsoll_analysis::attestations::{Statement, check_fields, check_provenance};
    let mut said = Vec::new();
    for required in &extra.attestations {
        let found = signatures::verify_attestations(
            reference,
            authority,
            &extra.options,
            Some(&required.predicate_type),
        )
        .map_err(|e| verify_reason(&e))?;
        let mut why = Vec::new();
        let mut passed = None;
        for a in &found {
            let Ok(statement) = plimsoll_plugin_sdk::serde_json::from_str(&a.statement) else {
                why.push("an attestation whose statement is not JSON".to_string());
                continue;
            };
            let st = Statement {
                predicate_type: &a.predicate_type,
                statement: &statement,
                method: &a.signer.signature.method,
                identity: a.signer.signature.identity.as_deref(),
            };
            let checked = match &required.slsa {
                Some(slsa) => check_provenance(&st, slsa).map(|p| {
                    format!(
                        " built by `{}` from `{}`{}",
                        p.builder_id,
                        p.source,
                        p.git_ref.map(|r| format!(" at `{r}`")).unwrap_or_default()
                    )
                }),
                None => Ok(String::new()),
            }
            .and_then(|built| check_fields(&st, &required.fields).map(|()| built));
            match checked {
                Ok(built) => {
                    passed = Some(format!(
                        "`{}` attestation{built}, {}",
                        required.predicate_type,
                        describe(&a.signer)
                    ));
                    break;
                }
                Err(f) => why.push(f.to_string()),
            }
        }
        match passed {
            Some(p) => said.push(p),
            None => return Err(why.join("; ")),
        }
    }
    Ok(said.join("; "))
}

fn host_reason(e: &plimsoll_plugin_sdk::registry::HostError) -> String {
    use plimsoll_plugin_sdk::registry::HostError as H;
    match (e.detail(), e) {
        (Some(m), _) => m.to_string(),
        (None, H::RateLimited(_)) => "the registry rate-limited us".into(),
        (None, _) => "the registry timed out".into(),
    }
}

/// Holds one image to every policy that matches it: one finding per failed
/// policy, about the whole target.
/// `verify` is the reference verified, `shown` the one the message names.
fn hold(verify: &str, shown: &str, canonical: &str, s: &SignSettings) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in s.policies.iter().filter(|p| p.matches(canonical)) {
        let reasons = match evaluate(verify, p) {
            Outcome::Pass(said) => {
                if p.report_verified {
                    out.push(
                        Finding::new(
                            &VERIFIED,
                            format!("`{shown}` satisfies signature policy `{}`: {said}", p.name),
                        )
                        .property("policy", p.name.clone()),
                    );
                }
                continue;
            }
            Outcome::Fail(reasons) => reasons,
        };
        // policy-controller's warn mode admits the image and warns: a
        // note here, shown but below the default `--fail-on warning`.
        let (level, admitted) = match p.mode {
            Mode::Enforce => (Level::Error, ""),
            Mode::Warn => (Level::Note, " (warn mode: reported, not enforced)"),
        };
        out.push(
            Finding::new(
                &POLICY_FAILED,
                format!(
                    "`{shown}` does not satisfy signature policy `{}`{admitted}: {}",
                    p.name,
                    reasons.join("; ")
                ),
            )
            .level(level)
            .property("policy", p.name.clone())
            .property("mode", p.mode.as_str()),
        );
    }
    out
}

/// Base images of one Dockerfile, when `check-base-images` is on.
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
        out.extend(
            hold(&u.reference, &u.reference, &name, s)
                .into_iter()
                .map(|f| f.at(u.span)),
        );
    }
    out
}

/// The images a manifest names, when `check-manifest-images` is on (those
/// not known until the file is used cannot be verified: the pin rules
/// report them).
pub fn check_manifest(doc: &Manifest, s: &SignSettings) -> Vec<Finding> {
    if !s.check_manifest_images {
        return Vec::new();
    }
    let mut out = Vec::new();
    for i in doc.images.iter().filter(|i| i.unresolved.is_none()) {
        let name = policy::canonical(&i.reference);
        out.extend(
            hold(&i.reference, &i.reference, &name, s)
                .into_iter()
                .map(|f| f.at(i.span)),
        );
    }
    out
}

/// An image named by `plimsoll check --image`: held to the policies whatever
/// `check-base-images` says. The digest the host resolved is what gets
/// verified, so the tag cannot move between resolution and verification.
pub fn check_image(image: &ImageTarget, s: &SignSettings) -> Vec<Finding> {
    let pinned = pinned_reference(&image.canonical, &image.digest);
    hold(
        &pinned,
        &image.reference,
        &policy::canonical(&image.reference),
        s,
    )
}

/// `repo:tag@digest` → `repo@digest`; keeps the repository the user named.
fn pinned_reference(canonical: &str, digest: &str) -> String {
    let repo = canonical.split('@').next().unwrap_or(canonical);
    let repo = match repo.rfind(':') {
        Some(i) if !repo[i..].contains('/') => &repo[..i],
        _ => repo,
    };
    format!("{repo}@{digest}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use plimsoll_plugin_sdk::serde_json::json;
    use plimsoll_plugin_sdk::signatures::testing::mock;
    use plimsoll_plugin_sdk::signatures::{VerifiedSignature, VerifyFailure};

    const PEM: &str = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";

    #[test]
    fn pinned_references_keep_the_repository_and_drop_the_tag() {
        let d = "sha256:ab";
        assert_eq!(
            pinned_reference("docker.io/library/alpine:3.19", d),
            "docker.io/library/alpine@sha256:ab"
        );
        assert_eq!(
            pinned_reference("127.0.0.1:5000/library/signed:1.0", d),
            "127.0.0.1:5000/library/signed@sha256:ab"
        );
        assert_eq!(
            pinned_reference("127.0.0.1:5000/app", d),
            "127.0.0.1:5000/app@sha256:ab"
        );
        assert_eq!(
            pinned_reference("ghcr.io/o/app@sha256:ab", d),
            "ghcr.io/o/app@sha256:ab"
        );
    }

    /// `--image` targets are verified by digest (the host resolved the tag),
    /// named as the user wrote them, whatever `check-base-images` says.
    #[test]
    fn image_targets_are_verified_at_their_resolved_digest() {
        let settings = json!({"policies": [{"name": "ours", "images": ["ghcr.io/o/**"],
            "authorities": [{"key": PEM}]}]});
        let image = |r: &str| ImageTarget {
            reference: r.into(),
            canonical: format!("ghcr.io/o/{}", r.rsplit('/').next().unwrap()),
            digest: "sha256:ab".into(),
        };
        mock(
            "ghcr.io/o/good@sha256:ab",
            PEM,
            Ok(vec![VerifiedSignature {
                method: "key".into(),
                identity: None,
                issuer: None,
                key_id: Some("sha256:k".into()),
                annotations: vec![],
            }]),
        );
        mock(
            "ghcr.io/o/bad@sha256:ab",
            PEM,
            Err(VerifyError::Failed(VerifyFailure {
                kind: "unsigned".into(),
                message: "no signature".into(),
            })),
        );
        let run = |r: &str| {
            plimsoll_plugin_sdk::testing::check_image::<SignVerify>(&image(r), settings.clone())
                .unwrap()
        };
        assert!(run("ghcr.io/o/good:1").is_empty());
        let f = run("ghcr.io/o/bad:1");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].location, Location::Target);
        assert!(
            f[0].message
                .starts_with("`ghcr.io/o/bad:1` does not satisfy signature policy `ours`")
                && f[0].message.contains("no signature (unsigned)"),
            "{}",
            f[0].message
        );
        // Not matched by any policy: nothing to hold it to.
        let other = ImageTarget {
            reference: "docker.io/library/alpine:3".into(),
            canonical: "docker.io/library/alpine:3".into(),
            digest: "sha256:ab".into(),
        };
        assert!(
            plimsoll_plugin_sdk::testing::check_image::<SignVerify>(&other, settings.clone())
                .unwrap()
                .is_empty()
        );
    }
}
