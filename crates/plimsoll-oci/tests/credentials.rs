//! Where credentials go: only to the registry's own scheme, host and port,
//! for every kind of request; a token realm only over HTTPS or on loopback.
//! Two recording servers on 127.0.0.1 stand in for a registry and for the
//! other host it names.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use plimsoll_oci::{Registry, RegistryOptions};

/// One request as a server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
}

type Handler = dyn Fn(&Seen) -> (u16, Vec<(String, String)>, Vec<u8>) + Send + Sync;

/// A plain-HTTP server that records every request and answers with `handler`.
struct Recorder {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    fn start(handler: Arc<Handler>) -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let (log, handler) = (log.clone(), handler.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(conn.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or("").to_string();
                    let path = parts.next().unwrap_or("").to_string();
                    let (mut authorization, mut length) = (None, 0usize);
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                            break;
                        }
                        let (k, v) = h.split_once(':').unwrap_or((&h, ""));
                        match k.trim().to_ascii_lowercase().as_str() {
                            "authorization" => authorization = Some(v.trim().to_string()),
                            "content-length" => length = v.trim().parse().unwrap_or(0),
                            _ => {}
                        }
                    }
                    let mut body = vec![0; length];
                    let _ = reader.read_exact(&mut body);
                    let s = Seen {
                        method,
                        path,
                        authorization,
                    };
                    log.lock().unwrap().push(s.clone());
                    let (status, headers, body) = handler(&s);
                    let mut out = format!(
                        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                        body.len()
                    );
                    for (k, v) in headers {
                        out.push_str(&format!("{k}: {v}\r\n"));
                    }
                    out.push_str("\r\n");
                    let _ = conn.write_all(out.as_bytes());
                    let _ = conn.write_all(&body);
                });
            }
        });
        Recorder { port, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn h(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// A registry that wants basic credentials, has no blobs, starts uploads at
/// `location(its own port)` and accepts every PUT.
fn basic_auth_registry(location: impl Fn(u16) -> String + Send + Sync + 'static) -> Recorder {
    let port = Arc::new(Mutex::new(0u16));
    let own = port.clone();
    let registry = Recorder::start(Arc::new(move |s: &Seen| {
        if s.authorization.is_none() {
            return (
                401,
                vec![h("WWW-Authenticate", "Basic realm=\"r\"")],
                vec![],
            );
        }
        match s.method.as_str() {
            "HEAD" => (404, vec![], vec![]),
            "POST" => (
                202,
                vec![h("Location", &location(*own.lock().unwrap()))],
                vec![],
            ),
            _ => (201, vec![], vec![]),
        }
    }));
    *port.lock().unwrap() = registry.port;
    registry
}

/// A docker config with basic credentials for `registry`.
fn docker_config(registry: &str) -> tempfile::TempDir {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode("alice:s3cret");
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"auths":{{"{registry}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    dir
}

fn client(config: &std::path::Path) -> Registry {
    Registry::new(RegistryOptions {
        docker_config: Some(config.to_path_buf()),
        timeout: std::time::Duration::from_secs(5),
        retries: 0,
        ..Default::default()
    })
    .unwrap()
}

/// Registry A (basic auth) starts an upload whose `Location` is server B on
/// another port: B receives the blob but no Authorization; every request to
/// A (ping aside) carries A's credentials.
#[test]
fn an_upload_location_on_another_origin_gets_no_credentials() {
    let other = Recorder::start(Arc::new(|_: &Seen| (201, vec![], vec![])));
    let location = format!("http://127.0.0.1:{}/upload/1?state=x", other.port);
    let registry = basic_auth_registry(move |_| location.clone());
    let name = format!("127.0.0.1:{}", registry.port);
    let config = docker_config(&name);
    let reg = client(config.path());
    reg.push_blob(&format!("{name}/team/plugin"), b"a wasm blob")
        .expect("the upload completes on the other host");
    let at_other = other.seen();
    assert_eq!(at_other.len(), 1, "{at_other:?}");
    assert_eq!(at_other[0].method, "PUT");
    assert!(
        at_other[0].authorization.is_none(),
        "credentials of {name} went to another port: {at_other:?}"
    );
    let at_registry = registry.seen();
    for kind in ["HEAD", "POST"] {
        let r = at_registry
            .iter()
            .find(|s| s.method == kind && s.authorization.is_some())
            .unwrap_or_else(|| panic!("no authenticated {kind}: {at_registry:?}"));
        assert!(r.authorization.as_deref().unwrap().starts_with("Basic "));
    }
}

/// The same Location on the registry's own origin does get credentials
/// (the rule is origin, not "never on uploads"), and so does a manifest PUT.
#[test]
fn an_upload_location_on_the_same_origin_keeps_credentials() {
    let registry = basic_auth_registry(|port| {
        format!("http://127.0.0.1:{port}/v2/team/plugin/blobs/uploads/7")
    });
    let name = format!("127.0.0.1:{}", registry.port);
    let config = docker_config(&name);
    let reg = client(config.path());
    reg.push_blob(&format!("{name}/team/plugin"), b"blob")
        .unwrap();
    reg.push_manifest(
        &format!("{name}/team/plugin:1.0"),
        br#"{"schemaVersion":2}"#,
        "application/vnd.oci.image.manifest.v1+json",
    )
    .unwrap();
    let seen = registry.seen();
    for (method, path) in [
        ("PUT", "/v2/team/plugin/blobs/uploads/7"),
        ("PUT", "/v2/team/plugin/manifests/1.0"),
    ] {
        let r = seen
            .iter()
            .find(|s| s.method == method && s.path.starts_with(path))
            .unwrap_or_else(|| panic!("no {method} {path}: {seen:?}"));
        assert!(r.authorization.is_some(), "{method} {path}: {seen:?}");
    }
}

/// A bearer registry whose token realm is plain HTTP on another host would
/// get the credentials in clear; plimsoll asks it for an anonymous token.
/// Loopback realms (as here) may receive them, so the rule is checked on
/// the realm URL itself in the unit tests; this checks the loopback case
/// still authenticates end to end.
#[test]
fn a_loopback_token_realm_receives_credentials() {
    let token = Recorder::start(Arc::new(|_: &Seen| {
        (
            200,
            vec![h("Content-Type", "application/json")],
            br#"{"token":"t0k"}"#.to_vec(),
        )
    }));
    let realm = format!("http://127.0.0.1:{}/token", token.port);
    let registry = Recorder::start(Arc::new(move |s: &Seen| {
        if s.authorization.as_deref() != Some("Bearer t0k") {
            let c = format!("Bearer realm=\"{realm}\",service=\"reg\"");
            return (401, vec![h("WWW-Authenticate", &c)], vec![]);
        }
        (404, vec![], vec![])
    }));
    let name = format!("127.0.0.1:{}", registry.port);
    let config = docker_config(&name);
    let reg = client(config.path());
    let _ = reg.resolve(&format!("{name}/team/app:1.0"));
    let asked = token.seen();
    assert!(!asked.is_empty());
    assert!(
        asked[0]
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic ")),
        "{asked:?}"
    );
}
