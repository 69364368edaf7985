//! Transport: TLS set-up, the one HTTP call every request goes through
//! (auth attached, bounded retries with back-off, `Retry-After` honoured,
//! bodies read under a size limit), and errors worded for people.

use super::*;

/// The certificates of extra CA files, or a [`ErrorKind::Config`] error
/// naming the file. Cheap: the system store is not read.
pub fn read_ca_files(
    ca_files: &[PathBuf],
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, RegistryError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let config_err = |m: String| RegistryError::new(ErrorKind::Config, m);
    let mut out = Vec::new();
    for f in ca_files {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(f)
            .and_then(|it| it.collect::<Result<_, _>>())
            .map_err(|e| config_err(format!("cannot read CA file {}: {e}", f.display())))?;
        if certs.is_empty() {
            return Err(config_err(format!(
                "CA file {} holds no PEM certificate",
                f.display()
            )));
        }
        for c in &certs {
            // What RootCertStore::add checks: usable as a trust anchor.
            rustls::RootCertStore::empty().add(c.clone()).map_err(|e| {
                config_err(format!(
                    "CA file {}: unusable certificate: {e}",
                    f.display()
                ))
            })?;
        }
        out.extend(certs);
    }
    Ok(out)
}

pub(super) fn tls_config(ca_files: &[PathBuf]) -> Result<rustls::ClientConfig, RegistryError> {
    let extra = read_ca_files(ca_files)?;
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for e in &native.errors {
        tracing::debug!("system certificates: {e}");
    }
    roots.add_parsable_certificates(native.certs);
    roots.add_parsable_certificates(extra);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| RegistryError::new(ErrorKind::Config, format!("TLS setup: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

pub(super) fn is_loopback(host: &str) -> bool {
    let h = host
        .rsplit_once(':')
        .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
        .map(|(h, _)| h)
        .unwrap_or(host);
    let h = h.trim_start_matches('[').trim_end_matches(']');
    h == "localhost"
        || h.parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Seconds from a `Retry-After` header (delta-seconds form; an HTTP date
/// counts as "unknown").
pub(super) fn retry_after(headers: &HeaderMap) -> Option<u32> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

/// The message of a distribution error body, when there is one.
pub(super) fn error_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        code: Option<String>,
        message: Option<String>,
    }
    match serde_json::from_slice::<Errors>(body) {
        Ok(e) if !e.errors.is_empty() => e
            .errors
            .iter()
            .map(|i| {
                format!(
                    "{}{}",
                    i.code.as_deref().unwrap_or(""),
                    i.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    }
}

/// Appended to errors where the server's TLS certificate was not trusted.
pub(super) const CERT_HINT: &str = "is the registry's CA in --ca-file or SSL_CERT_FILE?";

/// The rustls error in a reqwest error's cause chain, if any.
pub(super) fn tls_error(e: &reqwest::Error) -> Option<&rustls::Error> {
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(t) = s.downcast_ref::<rustls::Error>() {
            return Some(t);
        }
        // io::Error hides what it wraps from source(); unwrap nested ones.
        let mut io = s.downcast_ref::<std::io::Error>();
        while let Some(inner) = io.and_then(|i| i.get_ref()) {
            if let Some(t) = inner.downcast_ref::<rustls::Error>() {
                return Some(t);
            }
            io = inner.downcast_ref::<std::io::Error>();
        }
        src = s.source();
    }
    None
}

pub(super) fn send_error(e: &reqwest::Error, url: &str) -> RegistryError {
    // reqwest's own message repeats the URL; the causes say what happened.
    let mut causes: Vec<String> = Vec::new();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let m = s.to_string();
        if !m.starts_with("client error (") && !causes.iter().any(|c| c.contains(&m)) {
            causes.push(m);
        }
        src = s.source();
    }
    let lead = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else {
        "request failed"
    };
    let mut msg = if causes.is_empty() {
        format!("{lead}: {e}")
    } else {
        format!("{lead}: {}", causes.join(": "))
    };
    if let Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented) =
        tls_error(e)
    {
        msg.push_str("; ");
        msg.push_str(CERT_HINT);
    }
    let url = redact(url);
    if e.is_timeout() {
        RegistryError::new(ErrorKind::Timeout, format!("{url}: timed out ({msg})"))
    } else if e.is_redirect() {
        RegistryError::new(
            ErrorKind::Protocol,
            format!("{url}: too many redirects (a redirect loop?)"),
        )
    } else if e.is_body() || e.is_decode() {
        RegistryError::new(
            ErrorKind::Protocol,
            format!("{url}: truncated or unreadable response body ({msg})"),
        )
    } else {
        RegistryError::new(ErrorKind::Unavailable, format!("{url}: {msg}"))
    }
}

/// Drops any query string (token requests carry scopes, never secrets, but
/// keep messages short and safe).
pub(super) fn redact(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

pub(super) struct Response {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) body: Vec<u8>,
    /// A successful body streamed to a temporary file (see [`Call::spool`]).
    pub(super) file: Option<tempfile::NamedTempFile>,
}

/// What [`Inner::call`] sends.
pub(super) struct Call<'a> {
    pub(super) method: Method,
    pub(super) target: &'a str,
    pub(super) accept: Option<&'a str>,
    /// Body and its content type.
    pub(super) body: Option<(&'a [u8], &'a str)>,
    /// Stream a successful answer's body into a temporary file in this
    /// directory instead of memory (layers: never held whole in memory).
    pub(super) spool: Option<&'a std::path::Path>,
}

impl Inner {
    pub(super) fn http(&self) -> Result<&reqwest::Client, RegistryError> {
        self.http.as_ref().ok_or_else(|| {
            RegistryError::new(ErrorKind::Offline, "offline: no registry requests are made")
        })
    }

    /// GET `path` on the registry with whatever auth it wants.
    pub(super) async fn get(
        &self,
        registry: &str,
        repository: &str,
        path_and_query: &str,
        accept: Option<&str>,
        count: &AtomicU64,
        limit: usize,
    ) -> Result<Response, RegistryError> {
        let req = Call {
            method: Method::GET,
            target: path_and_query,
            accept,
            body: None,
            spool: None,
        };
        self.call(registry, repository, req, count, limit).await
    }

    /// One request to the registry with whatever auth it wants; a request
    /// with a body asks for push scope. `target` is a path, or an absolute
    /// URL (an upload location).
    pub(super) async fn call(
        &self,
        registry: &str,
        repository: &str,
        req: Call<'_>,
        count: &AtomicU64,
        limit: usize,
    ) -> Result<Response, RegistryError> {
        let http = self.http()?;
        let info = self.host(registry).await?;
        let url = if req.target.starts_with("http://") || req.target.starts_with("https://") {
            req.target.to_string()
        } else {
            format!("{}{}", info.base, req.target)
        };
        let scope = if req.method == Method::GET || req.method == Method::HEAD {
            format!("repository:{repository}:pull")
        } else {
            format!("repository:{repository}:pull,push")
        };
        let mut stale_token: Option<String> = None;
        for round in 0..2 {
            // Credentials and tokens go only to the registry's own origin: an
            // upload `Location` (or any absolute URL the registry hands us)
            // on another scheme, host or port gets no Authorization, as with
            // containerd and Docker.
            let own_origin = same_origin(&url, &info.base);
            if !own_origin {
                tracing::debug!("{url}: not {registry}'s origin; sending no credentials");
            }
            let auth_header = match &info.auth {
                _ if !own_origin => None,
                AuthScheme::None => None,
                AuthScheme::Basic => match self.credential(registry) {
                    Some(Credential::Basic(u, p)) => Some(format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                    )),
                    _ => None,
                },
                AuthScheme::Bearer { realm, service } => Some(format!(
                    "Bearer {}",
                    self.token(
                        registry,
                        realm,
                        service.as_deref(),
                        &scope,
                        stale_token.as_deref()
                    )
                    .await?
                )),
            };
            let r = self
                .exchange_with(
                    || {
                        let mut r = http.request(req.method.clone(), &url);
                        if let Some(a) = req.accept {
                            r = r.header(ACCEPT, a);
                        }
                        if let Some(h) = &auth_header {
                            r = r.header(AUTHORIZATION, h);
                        }
                        if let Some((body, content_type)) = req.body {
                            r = r.header(CONTENT_TYPE, content_type).body(body.to_vec());
                        }
                        r
                    },
                    &url,
                    count,
                    limit,
                    self.opts.retries,
                    req.spool,
                )
                .await?;
            match r.status {
                StatusCode::UNAUTHORIZED
                    if round == 0 && matches!(info.auth, AuthScheme::Bearer { .. }) =>
                {
                    // The token may have expired mid-run: fetch a new one once.
                    stale_token = auth_header.map(|h| h.trim_start_matches("Bearer ").to_string());
                    continue;
                }
                StatusCode::UNAUTHORIZED => {
                    let has = self.credential(registry).is_some();
                    return Err(RegistryError::new(
                        ErrorKind::Unauthorized,
                        format!(
                            "{registry}/{repository}: {} (HTTP 401){}",
                            if has {
                                "the registry rejected the credentials from the docker config"
                            } else {
                                "the registry needs credentials and none were found (docker login, or $DOCKER_CONFIG/config.json)"
                            },
                            detail_suffix(&r.body)
                        ),
                    ));
                }
                StatusCode::FORBIDDEN => {
                    return Err(RegistryError::new(
                        ErrorKind::Denied,
                        format!(
                            "{registry}/{repository}: access denied (HTTP 403){}",
                            detail_suffix(&r.body)
                        ),
                    ));
                }
                _ => return Ok(r),
            }
        }
        unreachable!("the loop returns within two rounds")
    }
}

pub(super) fn detail_suffix(body: &[u8]) -> String {
    let d = error_detail(body);
    if d.is_empty() { d } else { format!(" ({d})") }
}

pub(super) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64 << attempt.min(5))
}

pub(super) enum BodyError {
    TooBig,
    Read(reqwest::Error),
    Spool(std::io::Error),
}

/// A response body of at most `limit` bytes: in memory, or streamed to a
/// new temporary file in `spool` (which then holds all of it).
pub(super) async fn read_body(
    mut resp: reqwest::Response,
    limit: usize,
    spool: Option<&std::path::Path>,
) -> Result<(Vec<u8>, Option<tempfile::NamedTempFile>), BodyError> {
    use std::io::Write;
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooBig);
    }
    let mut file = match spool {
        Some(dir) => Some(tempfile::NamedTempFile::new_in(dir).map_err(BodyError::Spool)?),
        None => None,
    };
    let mut body = Vec::new();
    let mut total = 0usize;
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
        total += chunk.len();
        if total > limit {
            return Err(BodyError::TooBig);
        }
        match file.as_mut() {
            Some(f) => f.write_all(&chunk).map_err(BodyError::Spool)?,
            None => body.extend_from_slice(&chunk),
        }
    }
    if let Some(f) = file.as_mut() {
        f.flush().map_err(BodyError::Spool)?;
    }
    Ok((body, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:5000",
            "localhost",
            "localhost:5000",
            "[::1]:5000",
            "127.1.2.3",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "registry-1.docker.io",
            "10.0.0.1:5000",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn distribution_error_bodies() {
        assert_eq!(
            error_detail(
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#
            ),
            "MANIFEST_UNKNOWN: manifest unknown"
        );
        assert_eq!(error_detail(b"<html>"), "");
    }
}
