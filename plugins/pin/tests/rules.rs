//! One snapshot per rule: a Dockerfile, what the (mocked) registry answers,
//! and the findings with their fixes applied. The real registry flavours are
//! exercised end to end in the top-level `tests/pin.rs`.

use plimsoll_plugin_pin::Pin;
use plimsoll_plugin_sdk::registry::testing::mock;
use plimsoll_plugin_sdk::registry::{HostError, Platform, PlatformManifest, Resolved};
use plimsoll_plugin_sdk::serde_json::json;
use plimsoll_plugin_sdk::testing;

fn d(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

fn single(reference: &str, digest: &str) {
    mock(
        reference,
        Ok(Resolved {
            canonical: reference.into(),
            digest: digest.into(),
            media_type: "application/vnd.oci.image.manifest.v1+json".into(),
            platforms: vec![],
        }),
    );
}

/// An index with amd64 = `amd`, arm64/v8 = `arm`.
fn index(reference: &str, digest: &str, amd: &str, arm: &str) {
    let p = |arch: &str, variant: Option<&str>, digest: &str| PlatformManifest {
        platform: Platform {
            os: "linux".into(),
            architecture: arch.into(),
            variant: variant.map(str::to_string),
        },
        digest: digest.into(),
        media_type: "application/vnd.oci.image.manifest.v1+json".into(),
    };
    mock(
        reference,
        Ok(Resolved {
            canonical: reference.into(),
            digest: digest.into(),
            media_type: "application/vnd.oci.image.index.v1+json".into(),
            platforms: vec![p("amd64", None, amd), p("arm64", Some("v8"), arm)],
        }),
    );
}

fn run(text: &str, settings: plimsoll_plugin_sdk::Settings, only: &str) -> String {
    let findings = testing::check::<Pin>(text, settings);
    assert!(
        findings.iter().any(|f| f.rule_id == only),
        "{only} should report: {findings:?}"
    );
    assert!(findings.iter().all(|f| f.rule_id == only), "{findings:?}");
    testing::render(text, &findings)
}

#[test]
fn pl6001_unpinned_every_form_with_fixes() {
    single("docker/dockerfile:1.7", &d('1'));
    index("alpine:3.19", &d('a'), &d('b'), &d('c'));
    single("nginx:1.27", &d('2'));
    single("busybox:1.36", &d('3'));
    let text = "# syntax=docker/dockerfile:1.7\nARG BASE=\"alpine:3.19\"\nFROM ${BASE} AS build\nCOPY --from=nginx:1.27 /etc/nginx /n\nRUN --mount=type=bind,from=busybox:1.36,target=/b true\nFROM build\n";
    insta::assert_snapshot!(
        "PL6001",
        run(text, json!({"resolve-unpinned": true}), "PL6001")
    );
}

#[test]
fn pl6001_without_resolution_reports_without_fixes() {
    let text = "ARG V=1.22\nFROM python:3.12-slim\nFROM golang:${V}\n";
    let out = run(text, json!({}), "PL6001");
    assert!(!out.contains("fix:"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.contains("PL6001")).count(),
        2,
        "{out}"
    );
}

#[test]
fn pl6001_resolution_failure_is_named() {
    mock(
        "ghcr.io/org/app:2",
        Err(HostError::Unauthorized(
            "ghcr.io/org/app: the registry needs credentials".into(),
        )),
    );
    let out = run(
        "FROM ghcr.io/org/app:2\n",
        json!({"resolve-unpinned": true}),
        "PL6001",
    );
    assert!(
        out.contains("could not resolve it: ghcr.io/org/app: the registry needs credentials"),
        "{out}"
    );
}

#[test]
fn pl6002_stale_pin() {
    single("127.0.0.1:5000/library/moving:latest", &d('e'));
    single(
        &format!("127.0.0.1:5000/library/moving@{}", d('f')),
        &d('f'),
    );
    let text = format!("FROM 127.0.0.1:5000/library/moving:latest@{}\n", d('f'));
    insta::assert_snapshot!("PL6002", run(&text, json!({"update": true}), "PL6002"));
    // Without --update the fix is advice only.
    let out = run(&text, json!({}), "PL6002");
    assert!(out.contains("plimsoll pin --fix --update"), "{out}");
}

#[test]
fn pl6003_platform_digest() {
    index("alpine:3.19", &d('a'), &d('b'), &d('c'));
    let text = format!("FROM alpine:3.19@{}\n", d('b'));
    insta::assert_snapshot!("PL6003", run(&text, json!({}), "PL6003"));
    // Allowed by policy: nothing to say.
    assert!(testing::check::<Pin>(&text, json!({"platform-digests": "allow"})).is_empty());
    // Required: the index is wrong, amd64 right, arm64 right for an arm64 stage.
    let out = run(
        &format!("FROM alpine:3.19@{}\n", d('a')),
        json!({"platform-digests": "require"}),
        "PL6003",
    );
    assert!(out.contains(&d('b')), "{out}");
    let arm = format!("FROM --platform=linux/arm64 alpine:3.19@{}\n", d('c'));
    assert!(testing::check::<Pin>(&arm, json!({"platform-digests": "require"})).is_empty());
}

#[test]
fn pl6004_not_found() {
    mock(
        "node:23.99-alpine",
        Err(HostError::NotFound(
            "docker.io/library/node:23.99-alpine: not found in the registry (MANIFEST_UNKNOWN)"
                .into(),
        )),
    );
    insta::assert_snapshot!(
        "PL6004",
        run(
            "FROM node:23.99-alpine\n",
            json!({"resolve-unpinned": true}),
            "PL6004"
        )
    );
}

#[test]
fn pl6005_digest_not_found() {
    single("alpine:3.20", &d('a'));
    mock(
        &format!("alpine@{}", d('0')),
        Err(HostError::NotFound("manifest unknown".into())),
    );
    let text = format!("FROM alpine:3.20@{}\n", d('0'));
    insta::assert_snapshot!("PL6005", run(&text, json!({}), "PL6005"));
}

#[test]
fn pl6006_unverified() {
    mock(
        "alpine:3.20",
        Err(HostError::Unavailable(
            "docker.io/library/alpine:3.20: offline and not in the registry cache".into(),
        )),
    );
    let text = format!("FROM alpine:3.20@{}\n", d('a'));
    insta::assert_snapshot!("PL6006", run(&text, json!({}), "PL6006"));
}

#[test]
fn current_pins_are_quiet_and_ignored_images_skipped() {
    index("alpine:3.19", &d('a'), &d('b'), &d('c'));
    let text = format!("FROM alpine:3.19@{}\nFROM corp.example/base:1\n", d('a'));
    let f = testing::check::<Pin>(&text, json!({"ignore-images": ["corp.example/"]}));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn fixes_are_idempotent() {
    index("alpine:3.19", &d('a'), &d('b'), &d('c'));
    let text = "FROM alpine:3.19\n";
    let f = testing::check::<Pin>(text, json!({"resolve-unpinned": true}));
    let fixed = testing::apply_edits(text, &f[0].fixes[0].edits);
    assert_eq!(fixed, format!("FROM alpine:3.19@{}\n", d('a')));
    assert!(testing::check::<Pin>(&fixed, json!({"resolve-unpinned": true})).is_empty());
}
