//! cosign v2 `.sig` signatures (keyless Fulcio + Rekor, key + Rekor, key
//! only, private PKI) over the real fixtures of `../shared/testdata/
//! sigstore-v2/` (containers/image's and Sigstore's, used in place), each
//! asserting the outcome the upstream tests state (SOURCES.md there) and, for
//! rejections, the named reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine;
use plimsoll_sigstore::cosign_sig::{
    BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, CHAIN_ANNOTATION, CertificatePolicy, Claim,
    SigCheck, SigLayer, Signer, Tlog, Trust, verify_certificate, verify_set, verify_sig_layer,
};
use plimsoll_sigstore::{FailureKind, KeyAuthority, Matcher};
use sha2::Digest;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/sigstore-v2")
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(dir().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// containers/image's serialisation of one `.sig` layer:
/// `\0sigstore-json\n` + {mimeType, payload (base64), annotations}.
fn layer(rel: &str) -> SigLayer {
    let bytes = read(rel);
    let json = bytes
        .strip_prefix(b"\x00sigstore-json\n")
        .expect("containers/image signature file");
    let v: serde_json::Value = serde_json::from_slice(json).unwrap();
    SigLayer {
        media_type: v["mimeType"].as_str().unwrap().to_string(),
        payload: base64::engine::general_purpose::STANDARD
            .decode(v["payload"].as_str().unwrap())
            .unwrap(),
        annotations: v["annotations"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn digest_of(rel: &str) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(read(rel))))
}

/// Fulcio's root as containers/image configures it, and a Rekor key.
fn fulcio_trust(rekor: &str) -> Trust {
    let mut t = Trust::default();
    t.add_certificates_pem(&read("containers-image/fulcio_v1.crt.pem"), "fulcio")
        .unwrap();
    t.add_log_key_pem(&read(rekor), rekor).unwrap();
    t
}

fn public_good() -> Trust {
    Trust::from_trusted_root(
        &read("sigstore-root-signing/trusted_root.json"),
        "trusted_root.json",
    )
    .unwrap()
}

fn exact(s: &str) -> Matcher {
    Matcher::Exact(s.to_string())
}

fn mitr() -> CertificatePolicy {
    CertificatePolicy {
        identity: exact("mitr@redhat.com"),
        issuer: exact("https://github.com/login/oauth"),
        claims: Vec::new(),
    }
}

const KEYLESS: &str = "containers-image/dir-img-cosign-fulcio-rekor-valid";
const KEY_REKOR: &str = "containers-image/dir-img-cosign-key-rekor-valid";
const KEY_ONLY: &str = "containers-image/dir-img-cosign-valid";

fn keyless(
    layer: &SigLayer,
    trust: &Trust,
    policy: &CertificatePolicy,
    tlog: Tlog,
) -> Result<plimsoll_sigstore::Verified, plimsoll_sigstore::Failure> {
    verify_sig_layer(
        layer,
        &digest_of(&format!("{KEYLESS}/manifest.json")),
        &SigCheck {
            signer: Signer::Certificate(policy),
            trust,
            tlog,
            check_reference: None,
        },
    )
}

#[test]
fn keyless_fulcio_rekor_signature_verifies_at_its_log_time() {
    let l = layer(&format!("{KEYLESS}/signature-1"));
    for trust in [fulcio_trust("containers-image/rekor.pub"), public_good()] {
        let v = keyless(&l, &trust, &mitr(), Tlog::Required).unwrap();
        assert_eq!(v.method, "keyless");
        assert_eq!(v.identity.as_deref(), Some("mitr@redhat.com"));
        assert_eq!(v.issuer.as_deref(), Some("https://github.com/login/oauth"));
        assert_eq!(v.log_index, Some(11605770));
        assert_eq!(v.integrated_time, Some(1674247893));
        assert_eq!(
            v.docker_reference.as_deref(),
            Some("192.168.64.2:5000/cosign-signed/fulcio-rekor-1")
        );
    }
    // By regular expression, as --certificate-identity-regexp.
    let policy = CertificatePolicy {
        identity: Matcher::regex("@redhat\\.com$").unwrap(),
        issuer: Matcher::regex("^https://github\\.com/").unwrap(),
        claims: Vec::new(),
    };
    keyless(&l, &public_good(), &policy, Tlog::Required).unwrap();
}

#[test]
fn keyless_rejections_name_their_reason() {
    let l = layer(&format!("{KEYLESS}/signature-1"));
    let trust = fulcio_trust("containers-image/rekor.pub");
    let kind = |l: &SigLayer, trust: &Trust, policy: &CertificatePolicy, tlog: Tlog| {
        keyless(l, trust, policy, tlog).unwrap_err().kind
    };

    let other = CertificatePolicy {
        identity: exact("this-does-not-match@example.com"),
        ..mitr()
    };
    assert_eq!(
        kind(&l, &trust, &other, Tlog::Required),
        FailureKind::IdentityMismatch
    );
    let other_issuer = CertificatePolicy {
        issuer: exact("https://accounts.google.com"),
        ..mitr()
    };
    assert_eq!(
        kind(&l, &trust, &other_issuer, Tlog::Required),
        FailureKind::IssuerMismatch
    );

    // rekor.pub replaced by cosign.pub: the SET names a log not trusted.
    let wrong_log = fulcio_trust("containers-image/cosign.pub");
    let e = keyless(&l, &wrong_log, &mitr(), Tlog::Required).unwrap_err();
    assert_eq!(e.kind, FailureKind::TlogSetInvalid, "{e}");
    assert!(e.message.contains("c0d23d6ad406973f"), "{e}");

    let without = |annotation: &str| {
        let mut l = l.clone();
        l.annotations.remove(annotation);
        l
    };
    assert_eq!(
        kind(&without(BUNDLE_ANNOTATION), &trust, &mitr(), Tlog::Required),
        FailureKind::TlogMissing
    );
    assert_eq!(
        kind(
            &without(CERTIFICATE_ANNOTATION),
            &trust,
            &mitr(),
            Tlog::Required
        ),
        FailureKind::UntrustedCertificate
    );
    // Without the chain the intermediate is unknown: only the root is trusted.
    assert_eq!(
        kind(&without(CHAIN_ANNOTATION), &trust, &mitr(), Tlog::Required),
        FailureKind::UntrustedCertificate
    );
    // ...unless the chain is trusted directly.
    let mut with_chain = fulcio_trust("containers-image/rekor.pub");
    with_chain
        .add_intermediates_pem(&read("containers-image/fulcio-chain"), "fulcio-chain")
        .unwrap();
    keyless(
        &without(CHAIN_ANNOTATION),
        &with_chain,
        &mitr(),
        Tlog::Required,
    )
    .unwrap();

    // A corrupted certificate or bundle.
    let corrupt = |annotation: &str, from: &str, to: &str| {
        let mut l = l.clone();
        let v = l.annotations.get_mut(annotation).unwrap();
        assert!(v.contains(from), "{annotation} holds {from}");
        *v = v.replacen(from, to, 1);
        l
    };
    let cert_line = l.annotations[CERTIFICATE_ANNOTATION]
        .lines()
        .nth(5)
        .unwrap()
        .to_string();
    let mut flipped = cert_line.clone();
    flipped.replace_range(10..11, if &cert_line[10..11] == "A" { "B" } else { "A" });
    assert_eq!(
        kind(
            &corrupt(CERTIFICATE_ANNOTATION, &cert_line, &flipped),
            &trust,
            &mitr(),
            Tlog::Required
        ),
        FailureKind::UntrustedCertificate
    );
    assert_eq!(
        kind(
            &corrupt(
                BUNDLE_ANNOTATION,
                "\"logIndex\":11605770",
                "\"logIndex\":11605771"
            ),
            &trust,
            &mitr(),
            Tlog::Required
        ),
        FailureKind::TlogSetInvalid
    );

    // Fulcio without Rekor: with the log ignored the certificate is checked
    // now, and a Fulcio certificate lives ten minutes.
    let e = keyless(&l, &trust, &mitr(), Tlog::Ignore).unwrap_err();
    assert_eq!(e.kind, FailureKind::CertificateExpired, "{e}");
    assert!(
        e.message
            .contains("2023-01-20T20:51:31Z to 2023-01-20T21:01:31Z"),
        "{e}"
    );

    // Another image's manifest.
    let e = verify_sig_layer(
        &l,
        &digest_of("containers-image/dir-img-cosign-valid/manifest.json"),
        &SigCheck {
            signer: Signer::Certificate(&mitr()),
            trust: &trust,
            tlog: Tlog::Required,
            check_reference: None,
        },
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::DigestMismatch, "{e}");
}

fn with_key(
    l: &SigLayer,
    manifest: &str,
    key: &str,
    trust: &Trust,
    tlog: Tlog,
    reference: Option<&str>,
) -> Result<plimsoll_sigstore::Verified, plimsoll_sigstore::Failure> {
    let key = KeyAuthority::from_pem(&read(key), key).unwrap();
    verify_sig_layer(
        l,
        &digest_of(manifest),
        &SigCheck {
            signer: Signer::Key(&key),
            trust,
            tlog,
            check_reference: reference.map(str::to_string),
        },
    )
}

#[test]
fn key_signature_with_a_rekor_bundle() {
    let l = layer(&format!("{KEY_REKOR}/signature-1"));
    let manifest = format!("{KEY_REKOR}/manifest.json");
    let key = "containers-image/cosign2.pub";
    for trust in [fulcio_trust("containers-image/rekor.pub"), public_good()] {
        let v = with_key(&l, &manifest, key, &trust, Tlog::Required, None).unwrap();
        assert_eq!(v.method, "key");
        assert_eq!(v.log_index, Some(11608800));
        assert_eq!(v.integrated_time, Some(1674251859));
        assert_eq!(
            v.docker_reference.as_deref(),
            Some("192.168.64.2:5000/cosign-signed/key-1")
        );
    }
    let trust = fulcio_trust("containers-image/rekor.pub");
    let kind = |l: &SigLayer, key: &str, trust: &Trust| {
        with_key(l, &manifest, key, trust, Tlog::Required, None)
            .unwrap_err()
            .kind
    };
    let mut no_bundle = l.clone();
    no_bundle.annotations.remove(BUNDLE_ANNOTATION);
    assert_eq!(kind(&no_bundle, key, &trust), FailureKind::TlogMissing);
    // Optional: the signature alone is enough.
    with_key(&no_bundle, &manifest, key, &trust, Tlog::Optional, None).unwrap();
    let mut corrupted = l.clone();
    let b = corrupted.annotations.get_mut(BUNDLE_ANNOTATION).unwrap();
    *b = b.replacen(
        "\"integratedTime\":1674251859",
        "\"integratedTime\":1674251860",
        1,
    );
    assert_eq!(kind(&corrupted, key, &trust), FailureKind::TlogSetInvalid);
    assert_eq!(
        kind(&l, key, &fulcio_trust("containers-image/cosign.pub")),
        FailureKind::TlogSetInvalid
    );
    // cosign.pub's valid signature carrying this entry's SET: the SET
    // verifies, but the entry logs another signature and key.
    let mut borrowed = layer(&format!("{KEY_ONLY}/signature-1"));
    borrowed.annotations.insert(
        BUNDLE_ANNOTATION.into(),
        l.annotations[BUNDLE_ANNOTATION].clone(),
    );
    let e = with_key(
        &borrowed,
        &format!("{KEY_ONLY}/manifest.json"),
        "containers-image/cosign.pub",
        &trust,
        Tlog::Required,
        None,
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::TlogEntryMismatch, "{e}");
    // Ignoring the log accepts that signature (cosign --insecure-ignore-tlog).
    with_key(
        &borrowed,
        &format!("{KEY_ONLY}/manifest.json"),
        "containers-image/cosign.pub",
        &trust,
        Tlog::Ignore,
        None,
    )
    .unwrap();
}

#[test]
fn key_signature_without_a_log() {
    let l = layer(&format!("{KEY_ONLY}/signature-1"));
    let manifest = format!("{KEY_ONLY}/manifest.json");
    let key = "containers-image/cosign.pub";
    let trust = Trust::default();
    let v = with_key(
        &l,
        &manifest,
        key,
        &trust,
        Tlog::Optional,
        Some("192.168.64.2:5000/cosign-signed-single-sample"),
    )
    .unwrap();
    assert_eq!(v.log_index, None);
    let kind = |l: &SigLayer, manifest: &str, key: &str, tlog: Tlog, reference: Option<&str>| {
        with_key(l, manifest, key, &trust, tlog, reference)
            .unwrap_err()
            .kind
    };
    assert_eq!(
        kind(&l, &manifest, key, Tlog::Required, None),
        FailureKind::TlogMissing
    );
    for other in ["testing/manifest:notlatest", "this/does-not:match"] {
        assert_eq!(
            kind(&l, &manifest, key, Tlog::Optional, Some(other)),
            FailureKind::ReferenceMismatch
        );
    }
    assert_eq!(
        kind(
            &l,
            "containers-image/dir-img-cosign-modified-manifest/manifest.json",
            key,
            Tlog::Optional,
            None
        ),
        FailureKind::DigestMismatch
    );
    assert_eq!(
        kind(
            &l,
            &manifest,
            "containers-image/cosign2.pub",
            Tlog::Optional,
            None
        ),
        FailureKind::BadSignature
    );
    let unknown = layer("containers-image/unknown-cosign-key.signature");
    for key in [
        "containers-image/cosign.pub",
        "containers-image/cosign2.pub",
    ] {
        assert_eq!(
            kind(&unknown, &manifest, key, Tlog::Optional, None),
            FailureKind::BadSignature
        );
    }
    let attachment = layer("containers-image/dir-img-cosign-other-attachment/signature-1");
    let e = with_key(&attachment, &manifest, key, &trust, Tlog::Optional, None).unwrap_err();
    assert_eq!(e.kind, FailureKind::Unsigned, "{e}");
    assert!(e.message.contains("text/plain"), "{e}");
}

#[test]
fn private_pki_certificate_signature() {
    let l = layer("containers-image/dir-img-cosign-pki-valid/signature-1");
    let digest = digest_of("containers-image/dir-img-cosign-pki-valid/manifest.json");
    let mut trust = Trust::default();
    trust
        .add_certificates_pem(&read("containers-image/pki_root_crts.pem"), "roots")
        .unwrap();
    let mut with_intermediates = Trust::default();
    with_intermediates
        .add_certificates_pem(&read("containers-image/pki_root_crts.pem"), "roots")
        .unwrap();
    with_intermediates
        .add_intermediates_pem(
            &read("containers-image/pki_intermediate_crts.pem"),
            "intermediates",
        )
        .unwrap();
    let policy = CertificatePolicy {
        identity: exact("qiwan@redhat.com"),
        issuer: Matcher::regex("").unwrap(),
        claims: Vec::new(),
    };
    let check = |l: &SigLayer, trust: &Trust| {
        verify_sig_layer(
            l,
            &digest,
            &SigCheck {
                signer: Signer::Certificate(&policy),
                trust,
                tlog: Tlog::Optional,
                check_reference: None,
            },
        )
    };
    let v = check(&l, &trust).unwrap();
    assert_eq!(v.identity.as_deref(), Some("qiwan@redhat.com"));
    let mut no_chain = l.clone();
    no_chain.annotations.remove(CHAIN_ANNOTATION);
    check(&no_chain, &with_intermediates).unwrap();
    assert_eq!(
        check(&no_chain, &trust).unwrap_err().kind,
        FailureKind::UntrustedCertificate
    );
    let mut no_cert = l.clone();
    no_cert.annotations.remove(CERTIFICATE_ANNOTATION);
    assert_eq!(
        check(&no_cert, &with_intermediates).unwrap_err().kind,
        FailureKind::UntrustedCertificate
    );
    // Fulcio's roots do not vouch for it.
    let e = verify_sig_layer(
        &l,
        &digest,
        &SigCheck {
            signer: Signer::Certificate(&policy),
            trust: &public_good(),
            tlog: Tlog::Optional,
            check_reference: None,
        },
    )
    .unwrap_err();
    assert_eq!(e.kind, FailureKind::UntrustedCertificate, "{e}");
}

/// containers/image's internal tests: the 2022 SET and certificate, checked
/// at the log's time and one second either side of the certificate window.
#[test]
fn set_and_certificate_window_of_the_2022_signature() {
    let set = String::from_utf8(read("containers-image/internal-testdata/rekor-set")).unwrap();
    let entry = verify_set(&set, &fulcio_trust("containers-image/rekor.pub")).unwrap();
    assert_eq!(entry.integrated_time, 1670870899);
    assert_eq!(entry.log_index, 8949589);
    let e = verify_set(&set, &fulcio_trust("containers-image/cosign.pub")).unwrap_err();
    assert_eq!(e.kind, FailureKind::TlogSetInvalid);

    let cert = read("containers-image/internal-testdata/rekor-cert");
    let chain = read("containers-image/fulcio-chain");
    let trust = fulcio_trust("containers-image/rekor.pub");
    let (info, _) = verify_certificate(&cert, Some(&chain), &trust, 1670870899).unwrap();
    assert_eq!(info.identity.as_deref(), Some("mitr@redhat.com"));
    assert_eq!(
        info.issuer.as_deref(),
        Some("https://github.com/login/oauth")
    );
    // Valid 2022-12-12 18:48:18 to 18:58:18 UTC, bounds included.
    for inside in [1670870898, 1670871498] {
        verify_certificate(&cert, Some(&chain), &trust, inside).unwrap();
    }
    for outside in [1670870897, 1670871499] {
        let e = verify_certificate(&cert, Some(&chain), &trust, outside).unwrap_err();
        assert_eq!(e.kind, FailureKind::CertificateExpired, "{e}");
    }
    // No chain: fails unless the intermediates are trusted.
    let e = verify_certificate(&cert, None, &trust, 1670870899).unwrap_err();
    assert_eq!(e.kind, FailureKind::UntrustedCertificate, "{e}");
    let mut with_chain = fulcio_trust("containers-image/rekor.pub");
    with_chain
        .add_intermediates_pem(&chain, "fulcio-chain")
        .unwrap();
    verify_certificate(&cert, None, &with_chain, 1670870899).unwrap();
    // The Sigstore trusted root carries the intermediate itself.
    verify_certificate(&cert, None, &public_good(), 1670870899).unwrap();
}

/// The production trusted root parses whole: both Rekor logs (ECDSA and the
/// Ed25519 log2025-1) and both Fulcio CAs.
#[test]
fn production_trusted_root_parses_every_log() {
    let t = public_good();
    let ids: Vec<&str> = t.log_ids().collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(
        ids.iter().any(|i| i.starts_with("c0d23d6ad406973f")),
        "{ids:?}"
    );
    assert!(t.has_authorities());
}

/// GitHub workflow claims (Fulcio extensions), matched as cosign's
/// `--certificate-github-workflow-*` flags; the fixture's certificate was
/// issued to a person (GitHub OAuth), so it has none and any required claim
/// is reported absent.
#[test]
fn workflow_claims_are_required_when_asked() {
    let l = layer(&format!("{KEYLESS}/signature-1"));
    let policy = CertificatePolicy {
        claims: vec![(Claim::GithubWorkflowRepository, exact("org/repo"))],
        ..mitr()
    };
    let e = keyless(&l, &public_good(), &policy, Tlog::Required).unwrap_err();
    assert_eq!(e.kind, FailureKind::IdentityMismatch, "{e}");
    assert!(
        e.message.contains("github-workflow-repository is absent"),
        "{e}"
    );
}

/// The `.att` layer of slsa-verifier's `cosign save` layouts, and the
/// subject digest.
fn slsa_fixture(version: &str) -> (SigLayer, String) {
    let base = format!("slsa-verifier/gha_generic_container-{version}");
    let digest = String::from_utf8(read(&format!("{base}/container_workflow_dispatch.digest")))
        .unwrap()
        .trim()
        .to_string();
    let blob = |d: &str| {
        read(&format!(
            "{base}/container_workflow_dispatch/blobs/sha256/{}",
            d.trim_start_matches("sha256:")
        ))
    };
    let index: serde_json::Value = serde_json::from_slice(&read(&format!(
        "{base}/container_workflow_dispatch/index.json"
    )))
    .unwrap();
    let att = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["kind"] == "dev.cosignproject.cosign/atts")
        .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&blob(att["digest"].as_str().unwrap())).unwrap();
    let l = &manifest["layers"][0];
    (
        SigLayer {
            media_type: l["mediaType"].as_str().unwrap().to_string(),
            payload: blob(l["digest"].as_str().unwrap()),
            annotations: l["annotations"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect(),
        },
        digest,
    )
}

/// The statement as plugins see it.
fn statement(
    a: &plimsoll_sigstore::cosign_sig::Attestation,
) -> plimsoll_analysis::attestations::Statement<'_> {
    plimsoll_analysis::attestations::Statement {
        predicate_type: &a.predicate_type,
        statement: &a.statement,
        method: a.verified.method,
        identity: a.verified.identity.as_deref(),
    }
}

const GENERATOR: &str = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml";

fn attestation(
    version: &str,
) -> Result<plimsoll_sigstore::cosign_sig::Attestation, plimsoll_sigstore::Failure> {
    let (l, digest) = slsa_fixture(version);
    let policy = CertificatePolicy {
        identity: Matcher::regex("^https://github\\.com/slsa-framework/slsa-github-generator/")
            .unwrap(),
        issuer: exact("https://token.actions.githubusercontent.com"),
        claims: Vec::new(),
    };
    plimsoll_sigstore::cosign_sig::verify_att_layer(
        &l,
        &digest,
        &SigCheck {
            signer: Signer::Certificate(&policy),
            trust: &public_good(),
            tlog: Tlog::Required,
            check_reference: None,
        },
    )
}

/// slsa-verifier's regression cases for the generic container generator
/// (v1.5.0: Rekor `intoto` entry; v2.1.0: `dsse`), as `verify-image` checks
/// them, each rejection with its reason.
#[test]
fn slsa_provenance_of_the_container_generator() {
    use plimsoll_analysis::attestations::{SlsaPolicy, check_fields, check_provenance};
    for (version, log_index) in [("v1.5.0", 14313132), ("v2.1.0", 174304112)] {
        let verified = attestation(version).unwrap_or_else(|e| panic!("{version}: {e}"));
        let att = statement(&verified);
        assert_eq!(att.predicate_type, "https://slsa.dev/provenance/v0.2");
        assert_eq!(verified.verified.log_index, Some(log_index), "{version}");
        let builder = format!("{GENERATOR}@refs/tags/{version}");
        assert_eq!(att.identity, Some(builder.as_str()));
        let good = SlsaPolicy {
            source_uri: "github.com/slsa-framework/example-package".into(),
            source_branch: Some("main".into()),
            ..Default::default()
        };
        let p = check_provenance(&att, &good).unwrap();
        assert_eq!(p.builder_id, builder);
        assert_eq!(p.git_ref.as_deref(), Some("refs/heads/main"));
        // The builder given with or without its ref.
        for id in [builder.as_str(), GENERATOR] {
            check_provenance(
                &att,
                &SlsaPolicy {
                    builder_id: Some(id.into()),
                    ..good.clone()
                },
            )
            .unwrap();
        }
        let kind = |policy: SlsaPolicy| check_provenance(&att, &policy).unwrap_err().kind;
        assert_eq!(
            kind(SlsaPolicy {
                builder_id: Some("https://github.com/slsa-framework/slsa-github-generator/.github/workflows/not-trusted.yml".into()),
                ..good.clone()
            }),
            "builder-mismatch"
        );
        assert_eq!(
            kind(SlsaPolicy {
                source_branch: Some("master".into()),
                ..good.clone()
            }),
            "branch-mismatch"
        );
        for source in [
            "github.com/slsa-framework/example-packageA",
            "Agithub.com/slsa-framework/example-package",
            "github.com/Aslsa-framework/example-package",
        ] {
            assert_eq!(
                kind(SlsaPolicy {
                    source_uri: source.into(),
                    ..good.clone()
                }),
                "source-mismatch",
                "{source}"
            );
        }
        assert_eq!(
            kind(SlsaPolicy {
                source_tag: Some("v1.2.3".into()),
                ..good.clone()
            }),
            "tag-mismatch"
        );
        assert_eq!(
            kind(SlsaPolicy {
                source_versioned_tag: Some("v1".into()),
                ..good.clone()
            }),
            "tag-mismatch"
        );

        // The generic form: field equalities on the statement.
        check_fields(
            &att,
            &[("predicate.builder.id".into(), serde_json::json!(builder))],
        )
        .unwrap();
        let e = check_fields(
            &att,
            &[(
                "predicate.invocation.configSource.entryPoint".into(),
                serde_json::json!("other.yml"),
            )],
        )
        .unwrap_err();
        assert_eq!(e.kind, "predicate-mismatch", "{e}");
    }
}

/// The attestation's own checks: another image, a signer outside the
/// policy, an altered statement.
#[test]
fn attestation_rejections_name_their_reason() {
    let (l, _) = slsa_fixture("v1.5.0");
    let (_, other_digest) = slsa_fixture("v2.1.0");
    let policy = CertificatePolicy {
        identity: Matcher::regex("^https://github\\.com/slsa-framework/slsa-github-generator/")
            .unwrap(),
        issuer: exact("https://token.actions.githubusercontent.com"),
        claims: vec![(
            Claim::GithubWorkflowRepository,
            exact("slsa-framework/example-package"),
        )],
    };
    let check = |l: &SigLayer, digest: &str, policy: &CertificatePolicy| {
        plimsoll_sigstore::cosign_sig::verify_att_layer(
            l,
            digest,
            &SigCheck {
                signer: Signer::Certificate(policy),
                trust: &public_good(),
                tlog: Tlog::Required,
                check_reference: None,
            },
        )
    };
    let (_, digest) = slsa_fixture("v1.5.0");
    // The workflow claims of a GitHub Actions certificate.
    check(&l, &digest, &policy).unwrap();
    let e = check(&l, &other_digest, &policy).unwrap_err();
    assert_eq!(e.kind, FailureKind::DigestMismatch, "{e}");
    let wrong_repo = CertificatePolicy {
        claims: vec![(Claim::GithubWorkflowRepository, exact("other/repo"))],
        ..policy.clone()
    };
    let e = check(&l, &digest, &wrong_repo).unwrap_err();
    assert_eq!(e.kind, FailureKind::IdentityMismatch, "{e}");
    // An altered envelope: the signature no longer covers it.
    let mut altered = l.clone();
    let text = String::from_utf8(altered.payload.clone()).unwrap();
    let env: serde_json::Value = serde_json::from_str(&text).unwrap();
    let statement = base64::engine::general_purpose::STANDARD
        .decode(env["payload"].as_str().unwrap())
        .unwrap();
    let changed = String::from_utf8(statement)
        .unwrap()
        .replace("refs/heads/main", "refs/heads/mains");
    let mut env2 = env.clone();
    env2["payload"] = serde_json::json!(base64::engine::general_purpose::STANDARD.encode(changed));
    altered.payload = serde_json::to_vec(&env2).unwrap();
    let e = check(&altered, &digest, &policy).unwrap_err();
    assert_eq!(e.kind, FailureKind::BadSignature, "{e}");
}
