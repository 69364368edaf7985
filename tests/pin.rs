//! `plimsoll pin` end to end: the real binary against the shared stack's
//! registries (plain, basic auth, TLS with its own CA, token auth), and against
//! a registry that misbehaves on purpose. Stack tests skip, with the reason
//! printed, when `../shared/stack/env` has not been evaluated (`.ci/run` does;
//! PLIMSOLL_REQUIRE_STACK=1 turns the skip into a failure).

mod support;

use std::process::Command;

use base64::Engine as _;
use support::hostile_registry::{Behaviour, HostileRegistry};
use support::{Project, Run};

struct Stack {
    plain: String,
    basic: String,
    tls: String,
    token: String,
    user: String,
    password: String,
    ca: String,
}

fn stack() -> Option<Stack> {
    let v = support::stack_var;
    Some(Stack {
        plain: v("REGISTRY")?,
        basic: v("AUTH_REGISTRY")?,
        tls: v("TLS_REGISTRY")?,
        token: v("TOKEN_REGISTRY")?,
        user: v("USERNAME")?,
        password: v("PASSWORD")?,
        ca: v("CA")?,
    })
}

fn digest(name: &str) -> String {
    std::env::var(format!("PLIMSOLL_TEST_{name}_DIGEST")).expect("stack digest exported")
}

/// Writes `docker/config.json` in the project with credentials for `registries`.
fn docker_login(p: &Project, registries: &[&str], user: &str, password: &str) -> String {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let auths: serde_json::Map<String, serde_json::Value> = registries
        .iter()
        .map(|r| (r.to_string(), serde_json::json!({ "auth": auth })))
        .collect();
    p.file(
        "docker/config.json",
        &serde_json::json!({ "auths": auths }).to_string(),
    );
    p.path().join("docker").display().to_string()
}

fn pin(p: &Project, docker_config: Option<&str>, args: &[&str]) -> Run {
    let mut c = p.command(&[&["pin"], args].concat());
    c.env_remove("DOCKER_CONFIG");
    c.env("HOME", p.path());
    if let Some(d) = docker_config {
        c.env("DOCKER_CONFIG", d);
    }
    let o = c.output().unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Every reference form, all on one registry.
fn every_form(host: &str) -> String {
    format!(
        "# syntax={host}/library/alpine-like:3.19\n\
ARG BASE={host}/library/multi:1.0\n\
FROM ${{BASE}} AS build\n\
COPY --from={host}/library/dockerv2:1.0 /etc/os-release /x\n\
RUN --mount=type=bind,from={host}/library/debian-like:12,target=/d true\n\
FROM {host}/library/dockerv2-list:1.0\n\
COPY --from=build /x /x\n\
USER 1000\n"
    )
}

fn every_form_pinned(host: &str) -> String {
    format!(
        "# syntax={host}/library/alpine-like:3.19@{}\n\
ARG BASE={host}/library/multi:1.0@{}\n\
FROM ${{BASE}} AS build\n\
COPY --from={host}/library/dockerv2:1.0@{} /etc/os-release /x\n\
RUN --mount=type=bind,from={host}/library/debian-like:12@{},target=/d true\n\
FROM {host}/library/dockerv2-list:1.0@{}\n\
COPY --from=build /x /x\n\
USER 1000\n",
        digest("ALPINE"),
        digest("MULTI"),
        digest("DOCKERV2"),
        digest("DEBIAN"),
        digest("DOCKERV2_LIST"),
    )
}

#[test]
fn pin_fix_every_form_on_every_registry_flavour() {
    let Some(s) = stack() else { return };
    for host in [&s.plain, &s.basic, &s.tls, &s.token] {
        let p = Project::new();
        p.file("Dockerfile", &every_form(host));
        let creds = docker_login(&p, &[&s.basic, &s.tls, &s.token], &s.user, &s.password);
        let ca = ["--ca-file", s.ca.as_str()];
        let extra: &[&str] = if host == &s.tls { &ca } else { &[] };

        // Report: five unpinned references, exit 1, nothing changed.
        let r = pin(&p, Some(&creds), &[&["--format", "json"], extra].concat());
        assert_eq!(r.code, 1, "{host}: {}", r.stderr);
        let ids = r.rule_ids();
        assert_eq!(ids, vec!["PL6001"; 5], "{host}: {}", r.stdout);
        assert_eq!(p.read("Dockerfile"), every_form(host));

        // Fix: every digest written in place (the ARG default for the base),
        // and the run reports what remains: nothing.
        let r = pin(&p, Some(&creds), &[&["--fix", "-vv"], extra].concat());
        assert_eq!(r.code, 0, "{host}: {}\n{}", r.stdout, r.stderr);
        assert_eq!(p.read("Dockerfile"), every_form_pinned(host), "{host}");
        for out in [&r.stdout, &r.stderr] {
            assert!(!out.contains(&s.password), "{host}: the password leaked");
        }

        // Idempotent.
        let r = pin(&p, Some(&creds), &[&["--fix"], extra].concat());
        assert_eq!(r.code, 0, "{host}: {}", r.stderr);
        assert_eq!(p.read("Dockerfile"), every_form_pinned(host));
    }
}

#[test]
fn one_manifest_request_per_unique_reference() {
    let Some(s) = stack() else { return };
    let p = Project::new();
    // The same references in two files and twice in one.
    let text = format!(
        "{}FROM {}/library/multi:1.0\n",
        every_form(&s.plain),
        s.plain
    );
    p.file("a/Dockerfile", &text);
    p.file("b/Dockerfile", &text);
    let r = pin(&p, None, &["-v"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("registry: 6 HTTP requests (5 manifests, 0 tokens, 1 registry probes"),
        "{}",
        r.stderr
    );
}

/// A repository of the calling test's own (so the shared `library/moving`
/// tag is never touched) whose `latest` tag `copy("v1")` and `copy("v2")`
/// move, with skopeo; `None` (skipped, said why) without skopeo.
fn own_moving_tag(s: &Stack) -> Option<(String, impl Fn(&str) + '_)> {
    if Command::new("skopeo").arg("--version").output().is_err() {
        eprintln!("skipped: skopeo (installed by ../shared/stack/up) is not on PATH");
        return None;
    }
    let repo = format!(
        "{}/plimsoll-e2e/moving-{}-{}",
        s.plain,
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let to = repo.clone();
    let copy = move |from: &str| {
        let st = Command::new("skopeo")
            .args([
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
            ])
            .arg(format!("docker://{}/library/moving:{from}", s.plain))
            .arg(format!("docker://{to}:latest"))
            .status()
            .unwrap();
        assert!(st.success(), "skopeo copy {from}");
    };
    Some((repo, copy))
}

#[test]
fn moved_tag_is_stale_and_update_repins_it() {
    let Some(s) = stack() else { return };
    let Some((repo, copy)) = own_moving_tag(&s) else {
        return;
    };
    copy("v1");
    let p = Project::new();
    p.file("Dockerfile", &format!("FROM {repo}:latest\nUSER 1000\n"));
    assert_eq!(pin(&p, None, &["--fix"]).code, 0);
    let v1 = digest("MOVING_V1");
    assert_eq!(
        p.read("Dockerfile"),
        format!("FROM {repo}:latest@{v1}\nUSER 1000\n")
    );

    // The base is rebuilt: the tag moves.
    copy("v2");
    let v2 = digest("MOVING_V2");
    let r = pin(&p, None, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let j = r.json();
    let f = &j["findings"][0];
    assert_eq!(f["rule_id"], "PL6002", "{}", r.stdout);
    let props = &f["properties"];
    assert_eq!(props["current_digest"], v2.as_str(), "{}", r.stdout);
    assert_eq!(props["pinned_digest"], v1.as_str());

    // --fix alone keeps the pin; --update moves it.
    assert_eq!(pin(&p, None, &["--fix"]).code, 1);
    assert!(p.read("Dockerfile").contains(&v1));
    assert_eq!(pin(&p, None, &["--fix", "--update"]).code, 0);
    assert_eq!(
        p.read("Dockerfile"),
        format!("FROM {repo}:latest@{v2}\nUSER 1000\n")
    );
}

/// The pin plugin's answer is result-cached with the registry questions it
/// asked: a re-run asks them again and reuses the answer while the tag
/// still points where it did; once the tag moves, the answer is computed
/// again and the stale pin is reported. (`tag-ttl-seconds = 0`: the
/// registry client asks the registry every run; with a TTL, a cached
/// answer lives as long as the client's answer for the tag does.)
#[test]
fn a_cached_pin_answer_lives_as_long_as_the_registry_answer() {
    let Some(s) = stack() else { return };
    let Some((repo, copy)) = own_moving_tag(&s) else {
        return;
    };
    copy("v1");
    let p = Project::new();
    let cache = p.path().join("cache");
    p.file(
        "Dockerfile",
        &format!("FROM {repo}:latest@{}\nUSER 1000\n", digest("MOVING_V1")),
    );
    p.file("plimsoll.toml", "[registry]\ntag-ttl-seconds = 0\n");
    let run = || {
        let r = Run::from(
            p.command(&[
                "-vv",
                "check",
                "--format",
                "json",
                "--select",
                "pin",
                "Dockerfile",
            ])
            .env("PLIMSOLL_CACHE_DIR", &cache)
            .output()
            .unwrap(),
        );
        let (hits, misses) = r.cache_lookups("pin");
        (r.rule_ids(), hits, misses)
    };
    let (first, hits, misses) = run();
    assert_eq!((hits, misses), (0, 1));
    assert!(!first.contains(&"PL6002".to_string()), "{first:?}");
    let (again, hits, misses) = run();
    assert_eq!((hits, misses), (1, 0), "the tag did not move");
    assert_eq!(again, first);

    copy("v2");
    let (moved, hits, misses) = run();
    assert_eq!((hits, misses), (0, 1), "the tag moved");
    assert!(moved.contains(&"PL6002".to_string()), "{moved:?}");
    let (_, hits, _) = run();
    assert_eq!(hits, 1, "and the new answer is cached in turn");
}

#[test]
fn platform_digest_is_caught_and_fixed_to_the_index() {
    let Some(s) = stack() else { return };
    let p = Project::new();
    let amd64 = digest("MULTI_AMD64");
    p.file(
        "Dockerfile",
        &format!("FROM {}/library/multi:1.0@{amd64}\n", s.plain),
    );
    let r = pin(&p, None, &["--format", "json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.rule_ids(), ["PL6003"]);
    assert!(r.stdout.contains("linux/amd64 manifest"), "{}", r.stdout);
    assert_eq!(pin(&p, None, &["--fix"]).code, 0);
    assert!(p.read("Dockerfile").contains(&digest("MULTI")));

    // A policy that requires platform digests accepts it, and asks for the
    // arm64 one in an arm64 stage.
    p.file("plimsoll.toml", "[pin]\nplatform-digests = \"require\"\n");
    p.file(
        "Dockerfile",
        &format!(
            "FROM {h}/library/multi:1.0@{amd64}\nFROM --platform=linux/arm64 {h}/library/multi:1.0@{amd64}\n",
            h = s.plain
        ),
    );
    let r = pin(&p, None, &["--fix"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        p.read("Dockerfile")
            .ends_with(&format!("{}\n", digest("MULTI_ARM64")))
    );
}

#[test]
fn missing_tag_and_digest_are_errors() {
    let Some(s) = stack() else { return };
    let p = Project::new();
    let zero = format!("sha256:{}", "0".repeat(64));
    p.file(
        "Dockerfile",
        &format!(
            "FROM {h}/library/alpine-like:no-such-tag\nFROM {h}/library/alpine-like:3.19@{zero}\n",
            h = s.plain
        ),
    );
    let r = pin(&p, None, &["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.rule_ids(), ["PL6004", "PL6005"], "{}", r.stdout);
}

#[test]
fn credentials_problems_exit_3_without_leaking() {
    let Some(s) = stack() else { return };
    let p = Project::new();
    p.file(
        "Dockerfile",
        &format!("FROM {}/library/alpine-like:3.19\n", s.basic),
    );
    // No credentials.
    let empty = docker_login(&p, &[], "x", "y");
    let r = pin(&p, Some(&empty), &[]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("needs credentials"), "{}", r.stdout);
    // Wrong password.
    let wrong = "wrong-password-31337";
    let creds = docker_login(&p, &[&s.basic], &s.user, wrong);
    let r = pin(&p, Some(&creds), &["-vv"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stdout.contains("rejected the credentials"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains(wrong) && !r.stderr.contains(wrong));
}

#[test]
fn tls_without_the_ca_names_the_fix() {
    let Some(s) = stack() else { return };
    let p = Project::new();
    p.file(
        "Dockerfile",
        &format!("FROM {}/library/alpine-like:3.19\n", s.tls),
    );
    let creds = docker_login(&p, &[&s.tls], &s.user, &s.password);
    let r = pin(&p, Some(&creds), &[]);
    assert_eq!(r.code, 3);
    assert!(r.stdout.contains("--ca-file"), "{}", r.stdout);
    // A CA file that does not exist is a usage error.
    let r = pin(&p, Some(&creds), &["--ca-file", "/nonexistent/ca.pem"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("/nonexistent/ca.pem"), "{}", r.stderr);
}

#[test]
fn offline_uses_the_cache_and_check_only_notes() {
    let Some(s) = stack() else { return };
    let p = Project::new();
    let cache = p.path().join("cache");
    let pinned = format!("FROM {}/library/multi:1.0@{}\n", s.plain, digest("MULTI"));
    p.file("Dockerfile", &pinned);
    let run = |args: &[&str]| {
        let mut c = p.command(args);
        c.env("PLIMSOLL_CACHE_DIR", &cache);
        let o = c.output().unwrap();
        (
            o.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        )
    };
    // Cold cache, offline: pin cannot verify -> exit 3; check only notes it.
    let (code, out) = run(&["pin", "--offline"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("offline"), "{out}");
    let (code, out) = run(&["check", "--offline", "--format", "json", "--select", "pin"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("PL6006"), "{out}");
    // Warm it online, then offline answers from it.
    assert_eq!(run(&["pin"]).0, 0);
    let (code, out) = run(&["pin", "--offline"]);
    assert_eq!(code, 0, "{out}");
}

fn hostile_case(b: Behaviour, needle: &str) {
    let server = HostileRegistry::start(b);
    let p = Project::new();
    p.file(
        "Dockerfile",
        &format!("FROM {}/team/app:1.0\n", server.addr),
    );
    p.file(
        "plimsoll.toml",
        "[registry]\ntimeout-seconds = 1\nretries = 1\n",
    );
    let r = pin(&p, None, &["--format", "json"]);
    assert_eq!(r.code, 3, "{b:?}: {}\n{}", r.stdout, r.stderr);
    let j = r.json();
    let errors = j["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{b:?}: {errors:#?}");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(msg.contains(needle), "{b:?}: {msg}");
    assert!(
        msg.contains(&server.addr),
        "{b:?} names the registry: {msg}"
    );
    // `check` notes instead of failing the run on the registry.
    let r = p.run(&[
        "check",
        "--format",
        "json",
        "--select",
        "pin",
        "--fail-on",
        "never",
    ]);
    assert_eq!(r.code, 0, "{b:?}: {}", r.stderr);
}

#[test]
fn hostile_registries_are_errors_never_passes() {
    hostile_case(Behaviour::WrongDigest, "refusing");
    hostile_case(Behaviour::Truncated, "truncated");
    hostile_case(Behaviour::RateLimitedForAnHour, "rate limited");
    hostile_case(Behaviour::Endless5xx, "503");
    hostile_case(Behaviour::Slow, "timed out");
    hostile_case(Behaviour::RedirectLoop, "redirect");
    hostile_case(Behaviour::Huge, "larger than");
    hostile_case(Behaviour::Garbage, "not valid JSON");
}

#[test]
fn rate_limit_then_success_passes() {
    let server = HostileRegistry::start(Behaviour::RateLimitedOnce);
    let p = Project::new();
    p.file(
        "Dockerfile",
        &format!("FROM {}/team/app:1.0\n", server.addr),
    );
    let r = pin(&p, None, &["--fix"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(server.hits(), 2);
    assert!(p.read("Dockerfile").contains("@sha256:"));
}

#[test]
fn unreachable_registry_is_exit_3() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let p = Project::new();
    p.file(
        "Dockerfile",
        &format!("FROM 127.0.0.1:{port}/team/app:1.0\n"),
    );
    p.file("plimsoll.toml", "[registry]\nretries = 0\n");
    let r = pin(&p, None, &[]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    assert!(r.stdout.contains("cannot connect"), "{}", r.stdout);
}
