//! Authentication: each registry's scheme found once (its `/v2/` answer
//! and challenge), credentials from the Docker config and its helpers,
//! a token per (registry, scope) fetched once and shared, and where
//! credentials may be sent.

use super::*;

#[derive(Debug, Clone)]
pub(super) enum AuthScheme {
    None,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub(super) struct HostInfo {
    /// `https://host:port` or `http://...`.
    pub(super) base: String,
    pub(super) auth: AuthScheme,
}

#[derive(Clone)]
pub(super) enum Credential {
    Basic(String, String),
    IdentityToken(String),
}

impl Inner {
    pub(super) fn credential(&self, registry: &str) -> Option<Credential> {
        let key = credential_key(registry);
        if let Some(c) = self.creds.lock().unwrap().get(&key) {
            return c.clone();
        }
        let found = self.lookup_credential(&key);
        self.creds.lock().unwrap().insert(key, found.clone());
        found
    }

    pub(super) fn lookup_credential(&self, key: &str) -> Option<Credential> {
        use docker_credential::DockerCredential;
        let from_docker = match &self.opts.docker_config {
            Some(dir) => std::fs::File::open(dir.join("config.json"))
                .map_err(|_| docker_credential::CredentialRetrievalError::ConfigReadError)
                .and_then(|f| {
                    docker_credential::get_credential_from_reader(std::io::BufReader::new(f), key)
                }),
            None => docker_credential::get_credential(key),
        };
        let found = from_docker.or_else(|e| {
            tracing::debug!("no docker credential for {key}: {e}");
            docker_credential::get_podman_credential(key)
        });
        match found {
            Ok(DockerCredential::UsernamePassword(u, p)) => Some(Credential::Basic(u, p)),
            Ok(DockerCredential::IdentityToken(t)) => Some(Credential::IdentityToken(t)),
            Err(e) => {
                tracing::debug!("no credential for {key}: {e}");
                None
            }
        }
    }

    /// One HTTP exchange with retries for 429, 5xx, connection failures and
    /// truncated bodies. `count` is the stats counter this request belongs to.
    pub(super) async fn exchange(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        url: &str,
        count: &AtomicU64,
        limit: usize,
    ) -> Result<Response, RegistryError> {
        self.exchange_with(build, url, count, limit, self.opts.retries, None)
            .await
    }

    /// [`Inner::exchange`] with its own retry budget. `count` counts requests
    /// that reached the server (got a status line).
    pub(super) async fn exchange_with(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        url: &str,
        count: &AtomicU64,
        limit: usize,
        retries: u32,
        spool: Option<&std::path::Path>,
    ) -> Result<Response, RegistryError> {
        let mut attempt = 0u32;
        loop {
            if attempt > 0 {
                self.stats.retries.fetch_add(1, Ordering::Relaxed);
            }
            let started = Instant::now();
            let outcome = match build().send().await {
                Ok(resp) => {
                    count.fetch_add(1, Ordering::Relaxed);
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    let to = spool.filter(|_| status.is_success());
                    match read_body(resp, limit, to).await {
                        Ok((body, file)) => Ok(Response {
                            status,
                            headers,
                            body,
                            file,
                        }),
                        Err(BodyError::TooBig) => {
                            return Err(RegistryError::new(
                                ErrorKind::Protocol,
                                format!(
                                    "{}: response larger than {} bytes; refusing it",
                                    redact(url),
                                    limit
                                ),
                            ));
                        }
                        Err(BodyError::Read(e)) => Err(send_error(&e, url)),
                        Err(BodyError::Spool(e)) => {
                            return Err(RegistryError::new(
                                ErrorKind::Unavailable,
                                format!(
                                    "{}: cannot write the download to {}: {e}",
                                    redact(url),
                                    to.map(|d| d.display().to_string()).unwrap_or_default()
                                ),
                            ));
                        }
                    }
                }
                Err(e) => Err(send_error(&e, url)),
            };
            tracing::debug!(
                target: "plimsoll::http",
                "{} -> {} in {:?}",
                redact(url),
                match &outcome {
                    Ok(r) => r.status.to_string(),
                    Err(e) => e.kind.as_str().to_string(),
                },
                started.elapsed()
            );
            let retryable_wait = match &outcome {
                Ok(r) if r.status == StatusCode::TOO_MANY_REQUESTS => {
                    let after = retry_after(&r.headers);
                    match after {
                        Some(s) if Duration::from_secs(s.into()) > self.opts.max_retry_wait => {
                            let mut e = RegistryError::new(
                                ErrorKind::RateLimited,
                                format!(
                                    "{}: rate limited; the registry asks to wait {s} s (more than the {} s plimsoll waits)",
                                    redact(url),
                                    self.opts.max_retry_wait.as_secs()
                                ),
                            );
                            e.retry_after = Some(s);
                            return Err(e);
                        }
                        Some(s) => Some(Duration::from_secs(s.into())),
                        None => Some(backoff(attempt)),
                    }
                }
                Ok(r) if r.status.is_server_error() => Some(backoff(attempt)),
                Ok(_) => None,
                Err(e) if e.kind == ErrorKind::Unavailable || e.kind == ErrorKind::Protocol => {
                    // Connection refused/reset, truncated body: worth one more try.
                    // Redirect loops, unknown hosts and untrusted certificates are not.
                    let permanent = e.message.contains("redirect")
                        || e.message.contains("dns error")
                        || e.message.contains(CERT_HINT);
                    (!permanent).then(|| backoff(attempt))
                }
                Err(_) => None,
            };
            match (outcome, retryable_wait) {
                (outcome, None) => return outcome,
                (outcome, Some(_)) if attempt >= retries => {
                    return match outcome {
                        Ok(r) if r.status == StatusCode::TOO_MANY_REQUESTS => {
                            let mut e = RegistryError::new(
                                ErrorKind::RateLimited,
                                format!(
                                    "{}: still rate limited (HTTP 429) after {retries} retries",
                                    redact(url),
                                ),
                            );
                            e.retry_after = retry_after(&r.headers);
                            Err(e)
                        }
                        Ok(r) => Err(RegistryError::new(
                            ErrorKind::Unavailable,
                            format!(
                                "{}: HTTP {} after {retries} retries{}",
                                redact(url),
                                r.status,
                                detail_suffix(&r.body)
                            ),
                        )),
                        Err(mut e) => {
                            if retries > 0 {
                                e.message.push_str(&format!(" (after {retries} retries)"));
                            }
                            Err(e)
                        }
                    };
                }
                (_, Some(wait)) => {
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// Which scheme and auth a registry uses: `GET /v2/` once per run.
    pub(super) async fn host(&self, registry: &str) -> Result<HostInfo, RegistryError> {
        let cell = slot(&self.hosts, registry.to_string());
        cell.get_or_init(|| self.discover(registry)).await.clone()
    }

    pub(super) async fn discover(&self, registry: &str) -> Result<HostInfo, RegistryError> {
        let http = self.http()?;
        let host = crate::reference::api_host(registry);
        let plain_ok = is_loopback(host)
            || self
                .opts
                .insecure
                .iter()
                .any(|h| h == host || h == registry);
        let mut last_err = None;
        for scheme in ["https", "http"] {
            if scheme == "http" && !plain_ok {
                break;
            }
            let base = format!("{scheme}://{host}");
            let url = format!("{base}/v2/");
            // Probing HTTPS where plain HTTP is allowed: no retries, the
            // fallback is the retry.
            let probing = scheme == "https" && plain_ok;
            let retries = if probing { 0 } else { self.opts.retries };
            let r = self
                .exchange_with(
                    || http.get(&url),
                    &url,
                    &self.stats.pings,
                    64 << 10,
                    retries,
                    None,
                )
                .await;
            let r = match r {
                Ok(r) => r,
                Err(e)
                    if probing
                        && e.kind == ErrorKind::Unavailable
                        && !e.message.contains(CERT_HINT) =>
                {
                    tracing::debug!("{host}: HTTPS failed ({e}); trying plain HTTP");
                    last_err = Some(e);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let auth = if r.status == StatusCode::UNAUTHORIZED {
                parse_challenge(&r.headers).ok_or_else(|| {
                    RegistryError::new(
                        ErrorKind::Protocol,
                        format!("{url}: HTTP 401 without a usable WWW-Authenticate challenge"),
                    )
                })?
            } else {
                AuthScheme::None
            };
            return Ok(HostInfo { base, auth });
        }
        Err(last_err.unwrap_or_else(|| {
            RegistryError::new(ErrorKind::Unavailable, format!("{registry}: unreachable"))
        }))
    }

    /// The bearer token for `scope` at this registry (fetched once, shared).
    pub(super) async fn token(
        &self,
        registry: &str,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        stale: Option<&str>,
    ) -> Result<String, RegistryError> {
        let slot = slot(&self.tokens, (registry.to_string(), scope.to_string()));
        let http = self.http()?;
        let mut guard = slot.lock().await;
        if let Some(t) = guard.as_ref()
            && Some(t.as_str()) != stale
        {
            return Ok(t.clone());
        }
        let mut cred = self.credential(registry);
        let mut url = reqwest::Url::parse(realm).map_err(|e| {
            RegistryError::new(
                ErrorKind::Protocol,
                format!("{registry}: token realm `{realm}` is not a URL: {e}"),
            )
        })?;
        // A token realm gets the registry's credentials only over HTTPS (or on
        // this machine): a plain-HTTP realm elsewhere would see them in clear.
        // Docker sends them anyway; we ask for an anonymous token instead.
        if cred.is_some() && !realm_may_receive_credentials(&url) {
            tracing::warn!(
                "{registry}: token realm {realm} is plain HTTP on another machine; asking it for an anonymous token instead of sending the docker config's credentials in clear"
            );
            cred = None;
        }
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = service {
                q.append_pair("service", s);
            }
            q.append_pair("scope", scope);
            if matches!(cred, Some(Credential::Basic(..))) {
                q.append_pair("account", "");
            }
        }
        let url_s = url.to_string();
        let r = self
            .exchange(
                || {
                    let req = http.get(url.clone());
                    match &cred {
                        Some(Credential::Basic(u, p)) => req.basic_auth(u, Some(p)),
                        // An identity token is an OAuth2 refresh token.
                        Some(Credential::IdentityToken(t)) => http.post(realm).form(&[
                            ("grant_type", "refresh_token"),
                            ("refresh_token", t.as_str()),
                            ("service", service.unwrap_or("")),
                            ("scope", scope),
                            ("client_id", "plimsoll"),
                        ]),
                        None => req,
                    }
                },
                &url_s,
                &self.stats.tokens,
                1 << 20,
            )
            .await?;
        if r.status == StatusCode::UNAUTHORIZED || r.status == StatusCode::FORBIDDEN {
            return Err(RegistryError::new(
                ErrorKind::Unauthorized,
                format!(
                    "{registry}: the token server refused {} (HTTP {}){}",
                    if cred.is_some() {
                        "the credentials from the docker config"
                    } else {
                        "an anonymous token; log in with `docker login`"
                    },
                    r.status.as_u16(),
                    detail_suffix(&r.body)
                ),
            ));
        }
        if !r.status.is_success() {
            return Err(RegistryError::new(
                ErrorKind::Unavailable,
                format!("{registry}: token server answered HTTP {}", r.status),
            ));
        }
        #[derive(serde::Deserialize)]
        struct TokenBody {
            token: Option<String>,
            access_token: Option<String>,
        }
        let body: TokenBody = serde_json::from_slice(&r.body).map_err(|e| {
            RegistryError::new(
                ErrorKind::Protocol,
                format!("{registry}: token server sent invalid JSON: {e}"),
            )
        })?;
        let token = body
            .token
            .or(body.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                RegistryError::new(
                    ErrorKind::Protocol,
                    format!("{registry}: token server answer holds no token"),
                )
            })?;
        *guard = Some(token.clone());
        Ok(token)
    }
}

pub(super) fn parse_challenge(headers: &HeaderMap) -> Option<AuthScheme> {
    for value in headers.get_all(WWW_AUTHENTICATE) {
        let Ok(v) = value.to_str() else { continue };
        let Ok(challenges) = http_auth::parse_challenges(v) else {
            continue;
        };
        for c in challenges {
            let param = |name: &str| {
                c.params
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.to_unescaped())
            };
            if c.scheme.eq_ignore_ascii_case("bearer") {
                return Some(AuthScheme::Bearer {
                    realm: param("realm")?,
                    service: param("service"),
                });
            }
            if c.scheme.eq_ignore_ascii_case("basic") {
                return Some(AuthScheme::Basic);
            }
        }
    }
    None
}

/// Whether `url` is on the same origin (scheme, host, port) as the registry
/// base `base`: the one place credentials may go.
pub(crate) fn same_origin(url: &str, base: &str) -> bool {
    match (reqwest::Url::parse(url), reqwest::Url::parse(base)) {
        (Ok(u), Ok(b)) => {
            u.scheme() == b.scheme()
                && u.host_str().map(str::to_ascii_lowercase)
                    == b.host_str().map(str::to_ascii_lowercase)
                && u.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

/// A token realm may receive credentials over HTTPS, or on loopback.
pub(crate) fn realm_may_receive_credentials(realm: &reqwest::Url) -> bool {
    if realm.scheme() == "https" {
        return true;
    }
    match realm.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        let mut h = HeaderMap::new();
        h.insert(
            WWW_AUTHENTICATE,
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#
                .parse()
                .unwrap(),
        );
        match parse_challenge(&h) {
            Some(AuthScheme::Bearer { realm, service }) => {
                assert_eq!(realm, "https://auth.docker.io/token");
                assert_eq!(service.as_deref(), Some("registry.docker.io"));
            }
            other => panic!("{other:?}"),
        }
        let mut h = HeaderMap::new();
        h.insert(
            WWW_AUTHENTICATE,
            r#"Basic realm="Registry Realm""#.parse().unwrap(),
        );
        assert!(matches!(parse_challenge(&h), Some(AuthScheme::Basic)));
    }

    #[test]
    fn origins() {
        let base = "https://registry.example:5000";
        assert!(same_origin(
            "https://registry.example:5000/v2/x/blobs/uploads/1",
            base
        ));
        assert!(same_origin("https://REGISTRY.example:5000/v2/", base));
        assert!(!same_origin("https://registry.example:5001/v2/", base));
        assert!(!same_origin("http://registry.example:5000/v2/", base));
        assert!(!same_origin("https://evil.example:5000/v2/", base));
        assert!(!same_origin("not a url", base));
        assert!(same_origin(
            "https://r.example/v2/",
            "https://r.example:443"
        ));
        let realm = |u: &str| realm_may_receive_credentials(&reqwest::Url::parse(u).unwrap());
        assert!(realm("https://auth.example/token"));
        assert!(realm("http://127.0.0.1:5000/token"));
        assert!(realm("http://localhost/token"));
        assert!(realm("http://[::1]:80/token"));
        assert!(!realm("http://auth.example/token"));
        assert!(!realm("http://10.0.0.1/token"));
    }
}
