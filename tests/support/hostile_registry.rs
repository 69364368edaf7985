//! A registry that misbehaves on purpose, on 127.0.0.1, for tests: each
//! [`Behaviour`] is one way real registries and proxies go wrong. Plain HTTP,
//! one thread per connection, `Connection: close` on every answer.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Answers correctly (the control).
    Fine,
    /// Announces a Docker-Content-Digest the body does not hash to.
    WrongDigest,
    /// Promises more bytes (Content-Length) than it sends, then hangs up.
    Truncated,
    /// 429 with `Retry-After: 1` on the first manifest request, then fine.
    RateLimitedOnce,
    /// 429 asking to wait an hour.
    RateLimitedForAnHour,
    /// 503 on every manifest request.
    Endless5xx,
    /// Waits 5 s before answering a manifest request.
    Slow,
    /// Redirects every manifest request to itself.
    RedirectLoop,
    /// A 5 MiB "manifest".
    Huge,
    /// A body that is not JSON, with a correct digest.
    Garbage,
    /// 404 whose error message tries to inject GitHub workflow commands and
    /// terminal escapes into whatever shows it.
    InjectingNotFound,
}

/// The error message [`Behaviour::InjectingNotFound`] sends, JSON-escaped.
pub const INJECTION: &str = r"gone\n::add-mask::s3cret\n::error file=x.py,line=1::pwned\n##[group]g\u001b]52;c;Zm9v\u0007\u001b[2J";

pub struct HostileRegistry {
    /// `127.0.0.1:<port>`.
    pub addr: String,
    /// Manifest requests received.
    pub manifest_hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// A valid OCI image manifest (its blobs do not exist; pinning never needs them).
pub fn manifest_body() -> Vec<u8> {
    br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#.to_vec()
}

pub fn digest(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

impl HostileRegistry {
    pub fn start(behaviour: Behaviour) -> HostileRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap().to_string();
        let manifest_hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (hits, stopping) = (manifest_hits.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let hits = hits.clone();
                std::thread::spawn(move || serve(conn, behaviour, &hits));
            }
        });
        HostileRegistry {
            addr,
            manifest_hits,
            stop,
        }
    }

    pub fn hits(&self) -> usize {
        self.manifest_hits.load(Ordering::Relaxed)
    }
}

impl Drop for HostileRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(&self.addr);
    }
}

fn respond(conn: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body);
    let _ = conn.flush();
}

fn serve(mut conn: TcpStream, behaviour: Behaviour, hits: &AtomicUsize) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    if path == "/v2/" {
        respond(&mut conn, "200 OK", &[], b"{}");
        return;
    }
    if !path.contains("/manifests/") {
        respond(&mut conn, "404 Not Found", &[], b"{}");
        return;
    }
    let n = hits.fetch_add(1, Ordering::Relaxed);
    let body = manifest_body();
    let ok_headers = |body: &[u8]| {
        vec![
            (
                "Content-Type",
                "application/vnd.oci.image.manifest.v1+json".to_string(),
            ),
            ("Docker-Content-Digest", digest(body)),
        ]
    };
    match behaviour {
        Behaviour::Fine => respond(&mut conn, "200 OK", &ok_headers(&body), &body),
        Behaviour::InjectingNotFound => {
            let body =
                format!(r#"{{"errors":[{{"code":"MANIFEST_UNKNOWN","message":"{INJECTION}"}}]}}"#);
            respond(
                &mut conn,
                "404 Not Found",
                &[("Content-Type", "application/json".to_string())],
                body.as_bytes(),
            )
        }
        Behaviour::WrongDigest => {
            let mut h = ok_headers(&body);
            h[1].1 = digest(b"something else entirely");
            respond(&mut conn, "200 OK", &h, &body);
        }
        Behaviour::Truncated => {
            let mut h = ok_headers(&body);
            h.push(("Content-Length", (body.len() + 500).to_string()));
            respond(&mut conn, "200 OK", &h, &body[..body.len() / 2]);
        }
        Behaviour::RateLimitedOnce if n == 0 => respond(
            &mut conn,
            "429 Too Many Requests",
            &[("Retry-After", "1".to_string())],
            br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
        ),
        Behaviour::RateLimitedOnce => respond(&mut conn, "200 OK", &ok_headers(&body), &body),
        Behaviour::RateLimitedForAnHour => respond(
            &mut conn,
            "429 Too Many Requests",
            &[("Retry-After", "3600".to_string())],
            b"",
        ),
        Behaviour::Endless5xx => respond(
            &mut conn,
            "503 Service Unavailable",
            &[],
            br#"{"errors":[{"code":"UNAVAILABLE","message":"backend down"}]}"#,
        ),
        Behaviour::Slow => {
            std::thread::sleep(Duration::from_secs(5));
            respond(&mut conn, "200 OK", &ok_headers(&body), &body);
        }
        Behaviour::RedirectLoop => respond(
            &mut conn,
            "307 Temporary Redirect",
            &[("Location", path.clone())],
            b"",
        ),
        Behaviour::Huge => {
            let big = vec![b' '; 5 << 20];
            respond(&mut conn, "200 OK", &ok_headers(&big), &big);
        }
        Behaviour::Garbage => {
            let junk = b"<html>proxy error</html>".to_vec();
            respond(&mut conn, "200 OK", &ok_headers(&junk), &junk);
        }
    }
}
