//! The client against a registry that misbehaves on purpose: every case is a
//! named error, never a silently wrong answer.

#[path = "../../../tests/support/hostile_registry.rs"]
mod hostile_registry;

use std::time::{Duration, Instant};

use hostile_registry::{Behaviour, HostileRegistry};
use plimsoll_oci::{ErrorKind, Registry, RegistryOptions};

fn resolve(
    b: Behaviour,
) -> (
    Result<plimsoll_oci::Resolved, plimsoll_oci::RegistryError>,
    HostileRegistry,
    Duration,
) {
    let server = HostileRegistry::start(b);
    let reg = Registry::new(RegistryOptions {
        timeout: Duration::from_secs(1),
        retries: 2,
        ..Default::default()
    })
    .unwrap();
    let started = Instant::now();
    let r = reg.resolve(&format!("{}/team/app:1.0", server.addr));
    (r, server, started.elapsed())
}

fn expect(b: Behaviour, kind: ErrorKind, needle: &str) -> HostileRegistry {
    let (r, server, took) = resolve(b);
    let e = r.expect_err(&format!("{b:?} must fail"));
    assert_eq!(e.kind, kind, "{b:?}: {e}");
    assert!(e.message.contains(needle), "{b:?}: {e}");
    assert!(
        e.message.contains(&server.addr),
        "{b:?} names the registry: {e}"
    );
    assert!(took < Duration::from_secs(20), "{b:?} took {took:?}");
    server
}

#[test]
fn control_resolves() {
    let (r, server, _) = resolve(Behaviour::Fine);
    let r = r.unwrap();
    assert_eq!(
        r.digest,
        hostile_registry::digest(&hostile_registry::manifest_body())
    );
    assert_eq!(server.hits(), 1);
}

#[test]
fn wrong_digest_is_refused() {
    expect(
        Behaviour::WrongDigest,
        ErrorKind::DigestMismatch,
        "refusing",
    );
}

#[test]
fn truncated_body_is_an_error() {
    let s = expect(Behaviour::Truncated, ErrorKind::Protocol, "truncated");
    assert_eq!(s.hits(), 3, "retried twice");
}

#[test]
fn rate_limit_is_waited_out_once() {
    let (r, server, took) = resolve(Behaviour::RateLimitedOnce);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(server.hits(), 2);
    assert!(
        took >= Duration::from_secs(1),
        "honoured Retry-After: {took:?}"
    );
}

#[test]
fn rate_limit_beyond_the_bound_fails_at_once() {
    let (r, server, took) = resolve(Behaviour::RateLimitedForAnHour);
    let e = r.unwrap_err();
    assert_eq!(e.kind, ErrorKind::RateLimited, "{e}");
    assert_eq!(e.retry_after, Some(3600));
    assert!(e.message.contains("3600"), "{e}");
    assert_eq!(server.hits(), 1);
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn endless_5xx_gives_up_after_bounded_retries() {
    let s = expect(Behaviour::Endless5xx, ErrorKind::Unavailable, "503");
    assert_eq!(s.hits(), 3);
}

#[test]
fn slow_server_times_out() {
    expect(Behaviour::Slow, ErrorKind::Timeout, "timed out");
}

#[test]
fn redirect_loop_is_an_error() {
    expect(Behaviour::RedirectLoop, ErrorKind::Protocol, "redirect");
}

#[test]
fn huge_manifest_is_refused() {
    expect(Behaviour::Huge, ErrorKind::Protocol, "larger than");
}

#[test]
fn garbage_is_an_error() {
    expect(Behaviour::Garbage, ErrorKind::Protocol, "not valid JSON");
}
