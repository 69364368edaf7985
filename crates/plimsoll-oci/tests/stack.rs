//! The client against real registries: Debian's docker-registry in plain,
//! basic-auth, TLS and token-auth flavours, started by ../shared/stack/up
//! (`.ci/run` starts it). Skipped, with the reason printed, when the stack's
//! environment is absent.

use std::path::PathBuf;

use base64::Engine as _;
use plimsoll_oci::{ErrorKind, Registry, RegistryOptions};

struct Stack {
    plain: String,
    basic: String,
    tls: String,
    token: String,
    user: String,
    password: String,
    ca: PathBuf,
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
        basic: v("PLIMSOLL_TEST_AUTH_REGISTRY")?,
        tls: v("PLIMSOLL_TEST_TLS_REGISTRY")?,
        token: v("PLIMSOLL_TEST_TOKEN_REGISTRY")?,
        user: v("PLIMSOLL_TEST_USERNAME")?,
        password: v("PLIMSOLL_TEST_PASSWORD")?,
        ca: v("PLIMSOLL_TEST_CA")?.into(),
    })
}

fn digest(name: &str) -> String {
    std::env::var(format!("PLIMSOLL_TEST_{name}_DIGEST")).expect("stack digest exported")
}

/// A docker config dir holding `user:password` for each registry.
fn docker_config(registries: &[&str], user: &str, password: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let auths: serde_json::Map<String, serde_json::Value> = registries
        .iter()
        .map(|r| (r.to_string(), serde_json::json!({ "auth": auth })))
        .collect();
    std::fs::write(
        dir.path().join("config.json"),
        serde_json::json!({ "auths": auths }).to_string(),
    )
    .unwrap();
    dir
}

fn client(opts: RegistryOptions) -> Registry {
    Registry::new(opts).unwrap()
}

#[test]
fn every_flavour_resolves_every_manifest_kind() {
    let Some(s) = stack() else { return };
    let creds = docker_config(&[&s.basic, &s.tls, &s.token], &s.user, &s.password);
    let reg = client(RegistryOptions {
        ca_files: vec![s.ca.clone()],
        docker_config: Some(creds.path().to_path_buf()),
        ..Default::default()
    });
    for host in [&s.plain, &s.basic, &s.tls, &s.token] {
        let cases = [
            ("library/alpine-like:3.19", "ALPINE", 0),
            ("library/multi:1.0", "MULTI", 2),
            ("library/dockerv2:1.0", "DOCKERV2", 0),
            ("library/dockerv2-list:1.0", "DOCKERV2_LIST", 2),
        ];
        for (name, key, platforms) in cases {
            let r = reg
                .resolve(&format!("{host}/{name}"))
                .unwrap_or_else(|e| panic!("{host}/{name}: {e}"));
            assert_eq!(r.digest, digest(key), "{host}/{name}");
            assert_eq!(r.platforms.len(), platforms, "{host}/{name}: {r:?}");
        }
        // By digest: fetched and verified.
        let amd64 = digest("MULTI_AMD64");
        let r = reg
            .resolve(&format!("{host}/library/multi@{amd64}"))
            .unwrap();
        assert_eq!(r.digest, amd64);
    }
    // The attestation entry is left out; the two real platforms stay.
    let multi = reg
        .resolve(&format!("{}/library/multi:1.0", s.plain))
        .unwrap();
    let plats: Vec<String> = multi
        .platforms
        .iter()
        .map(|p| p.platform.to_string())
        .collect();
    assert_eq!(plats, ["linux/amd64", "linux/arm64/v8"]);
    assert!(
        !multi
            .platforms
            .iter()
            .any(|p| p.digest == digest("MULTI_ATTESTATION"))
    );
}

#[test]
fn one_manifest_request_per_unique_reference() {
    let Some(s) = stack() else { return };
    let creds = docker_config(&[&s.token], &s.user, &s.password);
    let reg = client(RegistryOptions {
        docker_config: Some(creds.path().to_path_buf()),
        ..Default::default()
    });
    let names = [
        "library/alpine-like:3.19",
        "library/debian-like:12",
        "library/multi:1.0",
        "library/dockerv2:1.0",
        "library/dockerv2-list:1.0",
    ];
    // Every reference twice, concurrently.
    let refs: Vec<String> = names
        .iter()
        .chain(names.iter())
        .map(|n| format!("{}/{n}", s.token))
        .collect();
    let answers = reg.resolve_many(&refs);
    assert!(answers.iter().all(|a| a.is_ok()), "{answers:?}");
    let st = reg.stats();
    assert_eq!(st.manifests, 5, "{st:?}");
    assert_eq!(st.pings, 1, "{st:?}");
    assert_eq!(st.tokens, 5, "one token per repository: {st:?}");
    assert_eq!(st.retries, 0, "{st:?}");
}

#[test]
fn auth_failures_are_clear_and_never_print_the_password() {
    let Some(s) = stack() else { return };
    // No credentials at all.
    let empty = tempfile::tempdir().unwrap();
    let reg = client(RegistryOptions {
        docker_config: Some(empty.path().to_path_buf()),
        ..Default::default()
    });
    let e = reg
        .resolve(&format!("{}/library/alpine-like:3.19", s.basic))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unauthorized, "{e}");
    assert!(e.message.contains("none were found"), "{e}");

    // Wrong password, basic and token flavours.
    let wrong = "not-the-password-4711";
    let creds = docker_config(&[&s.basic, &s.token], &s.user, wrong);
    let reg = client(RegistryOptions {
        docker_config: Some(creds.path().to_path_buf()),
        ..Default::default()
    });
    for host in [&s.basic, &s.token] {
        let e = reg
            .resolve(&format!("{host}/library/alpine-like:3.19"))
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unauthorized, "{host}: {e}");
        assert!(!e.message.contains(wrong), "{e}");
        assert!(!e.message.contains(&s.password), "{e}");
    }
}

#[test]
fn tls_needs_the_ca() {
    let Some(s) = stack() else { return };
    let creds = docker_config(&[&s.tls], &s.user, &s.password);
    let reg = client(RegistryOptions {
        docker_config: Some(creds.path().to_path_buf()),
        ..Default::default()
    });
    let e = reg
        .resolve(&format!("{}/library/alpine-like:3.19", s.tls))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unavailable, "{e}");
    assert!(e.message.to_lowercase().contains("certificate"), "{e}");

    let e = Registry::new(RegistryOptions {
        ca_files: vec!["/nonexistent/ca.pem".into()],
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("/nonexistent/ca.pem"), "{e}");
}

#[test]
fn not_found_tags_and_list_tags() {
    let Some(s) = stack() else { return };
    let reg = client(RegistryOptions::default());
    let e = reg
        .resolve(&format!("{}/library/alpine-like:no-such-tag", s.plain))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");
    assert!(e.message.contains("no-such-tag"), "{e}");
    let e = reg
        .resolve(&format!("{}/library/no-such-repo:1", s.plain))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound, "{e}");

    let tags = reg
        .list_tags(&format!("{}/library/moving", s.plain))
        .unwrap();
    for t in ["latest", "v1", "v2"] {
        assert!(tags.iter().any(|x| x == t), "{tags:?}");
    }
}

#[test]
fn offline_answers_from_the_cache_only() {
    let Some(s) = stack() else { return };
    let cache = tempfile::tempdir().unwrap();
    let reference = format!("{}/library/multi:1.0", s.plain);
    let online = client(RegistryOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        ..Default::default()
    });
    let fresh = online.resolve(&reference).unwrap();

    let offline = client(RegistryOptions {
        cache_dir: Some(cache.path().to_path_buf()),
        offline: true,
        ..Default::default()
    });
    assert_eq!(offline.resolve(&reference).unwrap(), fresh);
    assert_eq!(offline.stats().http_requests(), 0);
    let e = offline
        .resolve(&format!("{}/library/debian-like:12", s.plain))
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Offline, "{e}");
}
