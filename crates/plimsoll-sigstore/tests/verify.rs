//! Verification against real signatures:
//! - cosign `.sig` signatures made by ../shared/stack (a signer that is not
//!   this code) on its registries: good, other key, payload naming another
//!   digest, payload altered after signing, unsigned, an index, TLS + auth;
//! - the real cosign v3 keyless bundle and Sigstore production trusted root in
//!   ../shared/testdata/sigstore (used in place, never copied), and mutations
//!   of them for every way keyless verification must fail.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use plimsoll_oci::{Registry, RegistryOptions};
use plimsoll_sigstore::{
    FailureKind, KeyAuthority, KeyOptions, KeylessAuthority, Matcher, Subject, verify_bundle,
    verify_key,
};

// ---------------------------------------------------------------- stack ----

struct Stack {
    plain: String,
    tls: String,
    user: String,
    password: String,
    ca: PathBuf,
    cosign_pub: Vec<u8>,
    other_pub: Vec<u8>,
}

fn stack() -> Option<Stack> {
    let v = |k: &str| std::env::var(k).ok();
    let Some(plain) = v("PLIMSOLL_TEST_REGISTRY") else {
        eprintln!(
            "skipped: PLIMSOLL_TEST_REGISTRY is unset (run ../shared/stack/up and eval \"$(../shared/stack/env)\")"
        );
        if std::env::var_os("PLIMSOLL_REQUIRE_STACK").is_some() {
            panic!("PLIMSOLL_REQUIRE_STACK is set but the registry stack is not");
        }
        return None;
    };
    Some(Stack {
        plain,
        tls: v("PLIMSOLL_TEST_TLS_REGISTRY")?,
        user: v("PLIMSOLL_TEST_USERNAME")?,
        password: v("PLIMSOLL_TEST_PASSWORD")?,
        ca: v("PLIMSOLL_TEST_CA")?.into(),
        cosign_pub: std::fs::read(v("PLIMSOLL_TEST_COSIGN_PUB")?).ok()?,
        other_pub: std::fs::read(v("PLIMSOLL_TEST_OTHER_PUB")?).ok()?,
    })
}

fn digest(name: &str) -> String {
    std::env::var(format!("PLIMSOLL_TEST_{name}_DIGEST")).expect("stack digest exported")
}

fn registry() -> Registry {
    Registry::new(RegistryOptions::default()).unwrap()
}

fn check(
    reg: &Registry,
    reference: &str,
    key: &KeyAuthority,
    opts: &KeyOptions,
) -> Result<Vec<plimsoll_sigstore::Verified>, plimsoll_sigstore::Failure> {
    let subject = Subject::resolve(reg, reference)?;
    verify_key(reg, &subject, key, opts)
}

#[test]
fn a_good_signature_verifies_and_says_by_which_key() {
    let Some(s) = stack() else { return };
    let reg = registry();
    let key = KeyAuthority::from_pem(&s.cosign_pub, "cosign.pub").unwrap();
    let got = check(
        &reg,
        &format!("{}/library/signed:1.0", s.plain),
        &key,
        &KeyOptions::default(),
    )
    .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, "key");
    assert_eq!(got[0].key_id.as_deref(), Some(key.key_id()));
    assert!(key.key_id().starts_with("sha256:"));
    assert_eq!(
        got[0].docker_reference.as_deref(),
        Some(format!("{}/library/signed", s.plain).as_str())
    );
    // By digest too, and the reference check passes for the right repository.
    let by_digest = format!("{}/library/signed@{}", s.plain, digest("SIGNED"));
    let opts = KeyOptions {
        check_reference: Some(format!("{}/library/signed", s.plain)),
        ..Default::default()
    };
    check(&reg, &by_digest, &key, &opts).unwrap();
    // An index is signed by its index digest.
    check(
        &reg,
        &format!("{}/library/multi:1.0", s.plain),
        &key,
        &KeyOptions::default(),
    )
    .unwrap();
}

#[test]
fn every_bad_case_fails_and_says_which_check() {
    let Some(s) = stack() else { return };
    let reg = registry();
    let key = KeyAuthority::from_pem(&s.cosign_pub, "cosign.pub").unwrap();
    let none = KeyOptions::default();
    let cases = [
        (
            "library/signed-other-key:1.0",
            FailureKind::BadSignature,
            "does not verify with key",
        ),
        (
            "library/signed-badsig:1.0",
            FailureKind::BadSignature,
            "payload was changed",
        ),
        (
            "library/signed-tampered:1.0",
            FailureKind::DigestMismatch,
            "names another image",
        ),
        (
            "library/unsigned:1.0",
            FailureKind::Unsigned,
            "has no cosign signature",
        ),
    ];
    for (image, kind, says) in cases {
        let e = check(&reg, &format!("{}/{image}", s.plain), &key, &none).unwrap_err();
        assert_eq!(e.kind, kind, "{image}: {e}");
        assert!(e.message.contains(says), "{image}: {e}");
    }
    // The other key is right for the image it signed.
    let other = KeyAuthority::from_pem(&s.other_pub, "other.pub").unwrap();
    check(
        &reg,
        &format!("{}/library/signed-other-key:1.0", s.plain),
        &other,
        &none,
    )
    .unwrap();
    // A signature made for another repository, when the reference is checked.
    let opts = KeyOptions {
        check_reference: Some(format!("{}/library/mirror", s.plain)),
        ..Default::default()
    };
    let e = check(
        &reg,
        &format!("{}/library/signed:1.0", s.plain),
        &key,
        &opts,
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::ReferenceMismatch, "{e}");
    assert!(e.message.contains("library/mirror"), "{e}");
    // A registry that is down is a registry failure, not "unsigned".
    let e = check(&reg, "127.0.0.1:9/library/signed:1.0", &key, &none).unwrap_err();
    assert_eq!(e.kind, FailureKind::Registry, "{e}");
}

#[test]
fn over_tls_with_credentials_from_the_docker_config() {
    let Some(s) = stack() else { return };
    let dir = tempfile::tempdir().unwrap();
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", s.user, s.password));
    std::fs::write(
        dir.path().join("config.json"),
        serde_json::json!({ "auths": { s.tls.clone(): { "auth": auth } } }).to_string(),
    )
    .unwrap();
    let reg = Registry::new(RegistryOptions {
        ca_files: vec![s.ca.clone()],
        docker_config: Some(dir.path().to_path_buf()),
        ..Default::default()
    })
    .unwrap();
    let key = KeyAuthority::from_pem(&s.cosign_pub, "cosign.pub").unwrap();
    let got = check(
        &reg,
        &format!("{}/library/signed:1.0", s.tls),
        &key,
        &KeyOptions::default(),
    )
    .unwrap();
    assert_eq!(got.len(), 1);
}

#[test]
fn a_key_that_is_not_a_key_is_an_authority_error() {
    let e = KeyAuthority::from_pem(
        b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
        "keys/bad.pub",
    )
    .err()
    .unwrap();
    assert_eq!(e.kind, FailureKind::InvalidAuthority);
    assert!(e.message.contains("keys/bad.pub"), "{e}");
}

// -------------------------------------------------------------- keyless ----

const IDENTITY: &str = "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
const DIGEST: &str = "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172";

fn fixtures() -> Option<(Vec<u8>, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/sigstore");
    let read = |f: &str| std::fs::read(dir.join(f)).ok();
    match (
        read("cosign-v3-bundle-kubewarden-controller.json"),
        read("trusted_root.json"),
    ) {
        (Some(b), Some(r)) => Some((b, r)),
        _ => {
            let why = format!("{} is absent", dir.display());
            if std::env::var("PLIMSOLL_REQUIRE_ORACLES").as_deref() == Ok("1") {
                panic!("required input missing: {why}");
            }
            eprintln!("skipped: keyless tests: {why}");
            None
        }
    }
}

fn authority(identity: Matcher, issuer: Matcher, root: &[u8]) -> KeylessAuthority {
    KeylessAuthority::new(identity, issuer, root, "trusted_root.json").unwrap()
}

fn exact(s: &str) -> Matcher {
    Matcher::Exact(s.into())
}

#[test]
fn the_real_keyless_bundle_verifies_with_exact_and_regex_identities() {
    let Some((bundle, root)) = fixtures() else {
        return;
    };
    let got = verify_bundle(
        &bundle,
        DIGEST,
        &authority(exact(IDENTITY), exact(ISSUER), &root),
    )
    .unwrap();
    assert_eq!(got.method, "keyless");
    assert_eq!(got.identity.as_deref(), Some(IDENTITY));
    assert_eq!(got.issuer.as_deref(), Some(ISSUER));
    let regex = authority(
        Matcher::regex(
            r"^https://github\.com/kubewarden/[^/]+/\.github/workflows/release\.yml@refs/tags/v.*$",
        )
        .unwrap(),
        Matcher::regex(r"^https://token\.actions\.githubusercontent\.com$").unwrap(),
        &root,
    );
    verify_bundle(&bundle, DIGEST, &regex).unwrap();
}

#[test]
fn wrong_identity_issuer_or_digest_fail_and_say_which() {
    let Some((bundle, root)) = fixtures() else {
        return;
    };
    let e = verify_bundle(
        &bundle,
        DIGEST,
        &authority(
            exact("https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"),
            exact(ISSUER),
            &root,
        ),
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::IdentityMismatch, "{e}");
    assert!(
        e.message.contains(IDENTITY) && e.message.contains("acme/app"),
        "{e}"
    );

    let e = verify_bundle(
        &bundle,
        DIGEST,
        &authority(exact(IDENTITY), exact("https://accounts.google.com"), &root),
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::IssuerMismatch, "{e}");
    assert!(e.message.contains(ISSUER), "{e}");

    let e = verify_bundle(
        &bundle,
        &format!("sha256:{}", "ab".repeat(32)),
        &authority(exact(IDENTITY), exact(ISSUER), &root),
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::DigestMismatch, "{e}");

    let e = verify_bundle(
        &bundle,
        DIGEST,
        &authority(
            Matcher::regex("^https://gitlab\\.com/").unwrap(),
            exact(ISSUER),
            &root,
        ),
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::IdentityMismatch, "{e}");
}

fn mutate(bundle: &[u8], f: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(bundle).unwrap();
    f(&mut v);
    serde_json::to_vec(&v).unwrap()
}

#[test]
fn a_tampered_bundle_fails() {
    let Some((bundle, root)) = fixtures() else {
        return;
    };
    let auth = authority(exact(IDENTITY), exact(ISSUER), &root);
    // The DSSE signature altered.
    let tampered = mutate(&bundle, |v| {
        let sig = v["dsseEnvelope"]["signatures"][0]["sig"]
            .as_str()
            .unwrap()
            .to_string();
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap();
        let n = raw.len();
        raw[n - 2] ^= 0x01;
        v["dsseEnvelope"]["signatures"][0]["sig"] =
            base64::engine::general_purpose::STANDARD.encode(raw).into();
    });
    let e = verify_bundle(&tampered, DIGEST, &auth).unwrap_err();
    assert!(
        matches!(
            e.kind,
            FailureKind::BadSignature | FailureKind::InvalidBundle
        ),
        "{e:?}"
    );
    // The payload altered (another subject): the signature no longer covers it.
    let tampered = mutate(&bundle, |v| {
        let p = v["dsseEnvelope"]["payload"].as_str().unwrap().to_string();
        let raw = base64::engine::general_purpose::STANDARD.decode(p).unwrap();
        let text = String::from_utf8(raw)
            .unwrap()
            .replace("c811d58d", "c811d58e");
        v["dsseEnvelope"]["payload"] = base64::engine::general_purpose::STANDARD
            .encode(text)
            .into();
    });
    let e = verify_bundle(&tampered, DIGEST, &auth).unwrap_err();
    assert_ne!(e.kind, FailureKind::IdentityMismatch, "{e:?}");
    // Not a bundle at all.
    let e = verify_bundle(b"{\"mediaType\": 3}", DIGEST, &auth).unwrap_err();
    assert_eq!(e.kind, FailureKind::InvalidBundle, "{e}");
}

#[test]
fn an_untrusted_or_expired_certificate_fails() {
    let Some((bundle, root)) = fixtures() else {
        return;
    };
    // A trust root without the CA that issued the certificate.
    let mut r: serde_json::Value = serde_json::from_slice(&root).unwrap();
    let cas = r["certificateAuthorities"].as_array().unwrap().clone();
    assert!(cas.len() >= 2, "the production root has several Fulcio CAs");
    r["certificateAuthorities"] = serde_json::Value::Array(vec![cas[0].clone()]);
    let other_root = serde_json::to_vec(&r).unwrap();
    let e = verify_bundle(
        &bundle,
        DIGEST,
        &authority(exact(IDENTITY), exact(ISSUER), &other_root),
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::UntrustedCertificate, "{e}");
    assert!(e.message.contains("not trusted"), "{e}");

    // Logged after the 10-minute certificate had expired.
    let late = mutate(&bundle, |v| {
        let t = &mut v["verificationMaterial"]["tlogEntries"][0]["integratedTime"];
        let now: i64 = t
            .as_str()
            .map(|s| s.parse().unwrap())
            .or(t.as_i64())
            .unwrap();
        *t = serde_json::Value::String((now + 3600).to_string());
    });
    let e = verify_bundle(
        &late,
        DIGEST,
        &authority(exact(IDENTITY), exact(ISSUER), &root),
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::UntrustedCertificate, "{e}");

    // A trusted root that is not one.
    let e = KeylessAuthority::new(exact(IDENTITY), exact(ISSUER), b"{}", "roots/empty.json")
        .err()
        .unwrap();
    assert_eq!(e.kind, FailureKind::InvalidAuthority, "{e}");
}

// --------------------------------------------- keyless, from a registry ----

/// Runs tests/support/`script` with the stack's own client library and
/// registry, then `args`; what it printed.
fn push_with(s: &Stack, script: &str, args: &[&std::ffi::OsStr]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new("python3")
        .arg(root.join("tests/support").join(script))
        .arg(root.join("../shared/stack/lib"))
        .arg(&s.plain)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Pushes the real bundle as cosign v3 stores it (an artifact listed in the
/// referrers fallback index) into a repository of its own; returns it.
fn push_keyless(s: &Stack) -> Option<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bundle =
        root.join("../shared/testdata/sigstore/cosign-v3-bundle-kubewarden-controller.json");
    let repo = format!("plimsoll-e2e/keyless-{}", std::process::id());
    push_with(
        s,
        "push_bundle.py",
        &[repo.as_ref(), DIGEST.as_ref(), bundle.as_os_str()],
    );
    Some(format!("{}/{repo}", s.plain))
}

#[test]
fn keyless_bundles_are_found_among_the_referrers_of_a_registry_image() {
    let Some(s) = stack() else { return };
    let Some((_, root)) = fixtures() else { return };
    let repo = push_keyless(&s).unwrap();
    let reg = registry();
    let subject = Subject::resolve(&reg, &format!("{repo}@{DIGEST}")).unwrap();
    let got = plimsoll_sigstore::verify_keyless(
        &reg,
        &subject,
        &authority(exact(IDENTITY), exact(ISSUER), &root),
    )
    .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].identity.as_deref(), Some(IDENTITY));

    let e = plimsoll_sigstore::verify_keyless(
        &reg,
        &subject,
        &authority(exact("https://github.com/acme/x"), exact(ISSUER), &root),
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::IdentityMismatch, "{e}");

    // Another digest in the same repository has no bundle.
    let other = Subject::resolve(&reg, &format!("{repo}@sha256:{}", "cd".repeat(32))).unwrap();
    let e = plimsoll_sigstore::verify_keyless(
        &reg,
        &other,
        &authority(exact(IDENTITY), exact(ISSUER), &root),
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::Unsigned, "{e}");
    assert!(e.message.contains("no Sigstore bundle"), "{e}");
}

// ------------------------------------- cosign v2 `.sig`, from a registry ----

/// Pushes containers/image's real cosign v2 signatures as a `.sig` manifest
/// of `subject` into a repository of its own (tests/support/push_sig.py).
fn push_sig(s: &Stack, name: &str, subject: &str, signatures: &[&str]) -> String {
    let v2 = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/sigstore-v2/containers-image");
    let repo = format!("plimsoll-e2e/{name}-{}", std::process::id());
    let files: Vec<PathBuf> = signatures.iter().map(|f| v2.join(f)).collect();
    let mut args: Vec<&std::ffi::OsStr> = vec![repo.as_ref(), subject.as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    push_with(s, "push_sig.py", &args);
    format!("{}/{repo}", s.plain)
}

fn v2_file(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/sigstore-v2")
            .join(rel),
    )
    .unwrap()
}

fn sha256_of(rel: &str) -> String {
    use sha2::Digest;
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(v2_file(rel))))
}

/// A keyless cosign v2 signature (Fulcio certificate, Rekor SET) found under
/// the image's `.sig` tag through the registry client and verified with the
/// keyless authority's trusted root, as images signed on GitHub are.
#[test]
fn keyless_sig_signatures_are_found_under_the_sig_tag() {
    let Some(s) = stack() else { return };
    let subject_digest =
        sha256_of("containers-image/dir-img-cosign-fulcio-rekor-valid/manifest.json");
    let repo = push_sig(
        &s,
        "keyless-v2",
        &subject_digest,
        &[
            // An attachment that is not a signature, and the signature.
            "dir-img-cosign-other-attachment/signature-1",
            "dir-img-cosign-fulcio-rekor-valid/signature-1",
        ],
    );
    let root = v2_file("sigstore-root-signing/trusted_root.json");
    let authority = |identity: &str| {
        KeylessAuthority::new(
            exact(identity),
            exact("https://github.com/login/oauth"),
            &root,
            "trusted_root.json",
        )
        .unwrap()
    };
    let reg = registry();
    let subject = Subject::resolve(&reg, &format!("{repo}@{subject_digest}")).unwrap();
    let got =
        plimsoll_sigstore::verify_keyless(&reg, &subject, &authority("mitr@redhat.com")).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].identity.as_deref(), Some("mitr@redhat.com"));
    assert_eq!(got[0].log_index, Some(11605770));
    assert_eq!(got[0].integrated_time, Some(1674247893));

    let e = plimsoll_sigstore::verify_keyless(&reg, &subject, &authority("someone@example.com"))
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::IdentityMismatch, "{e}");
    assert!(e.message.contains("mitr@redhat.com"), "{e}");

    // The same signature under another image's tag names that mismatch.
    let other_digest = sha256_of("containers-image/dir-img-cosign-valid/manifest.json");
    let other = push_sig(
        &s,
        "keyless-v2-moved",
        &other_digest,
        &["dir-img-cosign-fulcio-rekor-valid/signature-1"],
    );
    let subject = Subject::resolve(&reg, &format!("{other}@{other_digest}")).unwrap();
    let e = plimsoll_sigstore::verify_keyless(&reg, &subject, &authority("mitr@redhat.com"))
        .unwrap_err();
    assert_eq!(e.kind, FailureKind::DigestMismatch, "{e}");
}

/// A key-based signature with a Rekor bundle: verified with the key, and its
/// SET with the trusted root's log key when one is configured; another
/// key's signature carrying that SET is caught by the log entry.
#[test]
fn key_sig_signatures_with_a_rekor_bundle_from_a_registry() {
    use plimsoll_sigstore::cosign_sig::{Tlog, Trust};
    let Some(s) = stack() else { return };
    let subject_digest = sha256_of("containers-image/dir-img-cosign-key-rekor-valid/manifest.json");
    let repo = push_sig(
        &s,
        "key-rekor-v2",
        &subject_digest,
        &["dir-img-cosign-key-rekor-valid/signature-1"],
    );
    let reg = registry();
    let subject = Subject::resolve(&reg, &format!("{repo}@{subject_digest}")).unwrap();
    let key =
        KeyAuthority::from_pem(&v2_file("containers-image/cosign2.pub"), "cosign2.pub").unwrap();
    let trust = || {
        Some(
            Trust::from_trusted_root(
                &v2_file("sigstore-root-signing/trusted_root.json"),
                "trusted_root.json",
            )
            .unwrap(),
        )
    };
    let got = verify_key(
        &reg,
        &subject,
        &key,
        &KeyOptions {
            tlog: Tlog::Required,
            trust: trust(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(got[0].log_index, Some(11608800));
    // Without log keys the bundle cannot be checked and is not claimed.
    let got = verify_key(&reg, &subject, &key, &KeyOptions::default()).unwrap();
    assert_eq!(got[0].log_index, None);
    // Another key: bad signature, whatever the bundle says.
    let cosign =
        KeyAuthority::from_pem(&v2_file("containers-image/cosign.pub"), "cosign.pub").unwrap();
    let e = verify_key(
        &reg,
        &subject,
        &cosign,
        &KeyOptions {
            tlog: Tlog::Required,
            trust: trust(),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::BadSignature, "{e}");
}

/// slsa-verifier's real `cosign attest` attestations (keyless, SLSA v0.2
/// provenance), pushed under the subject's `.att` tag, found and verified
/// through the registry client; the statement is what the SLSA policy reads.
#[test]
fn attestations_are_found_under_the_att_tag() {
    use plimsoll_analysis::attestations::{SlsaPolicy, Statement, check_provenance};
    let Some(s) = stack() else { return };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let trusted = v2_file("sigstore-root-signing/trusted_root.json");
    let reg = registry();
    for version in ["v1.5.0", "v2.1.0"] {
        let repo = format!("plimsoll-e2e/slsa-{version}-{}", std::process::id());
        let layout = root.join(format!(
            "../shared/testdata/sigstore-v2/slsa-verifier/gha_generic_container-{version}/container_workflow_dispatch"
        ));
        let digest = push_with(&s, "push_att.py", &[repo.as_ref(), layout.as_os_str()]);
        let subject = Subject::resolve(&reg, &format!("{}/{repo}@{digest}", s.plain)).unwrap();
        let authority = KeylessAuthority::new(
            Matcher::regex("^https://github\\.com/slsa-framework/slsa-github-generator/").unwrap(),
            exact("https://token.actions.githubusercontent.com"),
            &trusted,
            "trusted_root.json",
        )
        .unwrap();
        let found = plimsoll_sigstore::verify_attestations(
            &reg,
            &subject,
            plimsoll_sigstore::AttestationSigner::Keyless(&authority),
            Some("https://slsa.dev/provenance/v0.2"),
        )
        .unwrap();
        assert_eq!(found.len(), 1, "{version}");
        let a = &found[0];
        let st = Statement {
            predicate_type: &a.predicate_type,
            statement: &a.statement,
            method: a.verified.method,
            identity: a.verified.identity.as_deref(),
        };
        let policy = SlsaPolicy {
            source_uri: "github.com/slsa-framework/example-package".into(),
            source_branch: Some("main".into()),
            ..Default::default()
        };
        check_provenance(&st, &policy).unwrap();

        // Another predicate type is not there.
        let e = plimsoll_sigstore::verify_attestations(
            &reg,
            &subject,
            plimsoll_sigstore::AttestationSigner::Keyless(&authority),
            Some("https://cyclonedx.org/bom"),
        )
        .unwrap_err();
        assert_eq!(e.kind, FailureKind::PredicateMismatch, "{e}");
        // Signed by the generator, not by someone else.
        let other = KeylessAuthority::new(
            exact("https://github.com/acme/release.yml"),
            exact("https://token.actions.githubusercontent.com"),
            &trusted,
            "trusted_root.json",
        )
        .unwrap();
        let e = plimsoll_sigstore::verify_attestations(
            &reg,
            &subject,
            plimsoll_sigstore::AttestationSigner::Keyless(&other),
            None,
        )
        .unwrap_err();
        assert_eq!(e.kind, FailureKind::IdentityMismatch, "{e}");
    }
    // An image without attestations.
    let unsigned = Subject::resolve(
        &reg,
        &format!("{}/library/signed@{}", s.plain, digest("SIGNED")),
    )
    .unwrap();
    let key = KeyAuthority::from_pem(&s.cosign_pub, "cosign.pub").unwrap();
    let e = plimsoll_sigstore::verify_attestations(
        &reg,
        &unsigned,
        plimsoll_sigstore::AttestationSigner::Key(&key, &KeyOptions::default()),
        None,
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::Unsigned, "{e}");
}
