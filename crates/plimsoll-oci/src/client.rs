//! The registry client: one HTTP connection pool for the run, per-registry
//! discovery (scheme and auth) done once, tokens shared by every request to a
//! repository, every unique reference resolved once, bounded retries.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use tokio::sync::OnceCell;

use crate::cache::DiskCache;
use crate::error::{ErrorKind, RegistryError};
use crate::manifest::{self, PlatformManifest};
use crate::reference::{ImageRef, credential_key};

/// How the client behaves. `Default` is what a CI run wants.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    /// Extra PEM files of CA certificates to trust (on top of the system store,
    /// which `SSL_CERT_FILE`/`SSL_CERT_DIR` replace as with OpenSSL).
    pub ca_files: Vec<PathBuf>,
    /// Registries (`host[:port]`) that may be spoken to over plain HTTP when
    /// HTTPS fails. Loopback registries always may, as with Docker.
    pub insecure: Vec<String>,
    /// Answer only from the cache.
    pub offline: bool,
    /// Response cache; `None` disables it.
    pub cache_dir: Option<PathBuf>,
    /// How long what a tag points to is trusted without asking again.
    pub tag_ttl: Duration,
    /// Per-request deadline (connect + response + body).
    pub timeout: Duration,
    /// Retries after 429 / 5xx / connection failures.
    pub retries: u32,
    /// The longest `Retry-After` that is waited out; longer is an error.
    pub max_retry_wait: Duration,
    /// Directory holding `config.json` (default `$DOCKER_CONFIG` or `~/.docker`).
    pub docker_config: Option<PathBuf>,
}

impl Default for RegistryOptions {
    fn default() -> RegistryOptions {
        RegistryOptions {
            ca_files: Vec::new(),
            insecure: Vec::new(),
            offline: false,
            cache_dir: None,
            tag_ttl: Duration::from_secs(300),
            timeout: Duration::from_secs(30),
            retries: 3,
            max_retry_wait: Duration::from_secs(30),
            docker_config: None,
        }
    }
}

/// A reference resolved to the digest of what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// `docker.io/library/alpine:3.19` as asked.
    pub canonical: String,
    pub digest: String,
    pub media_type: String,
    /// Platform manifests when it is an index (attestations left out).
    pub platforms: Vec<PlatformManifest>,
}

/// A fetched, verified manifest.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub digest: String,
    pub media_type: String,
    pub body: Vec<u8>,
}

/// Requests made, for `-v` output and the benchmark.
#[derive(Debug, Default)]
pub struct Stats {
    pub pings: AtomicU64,
    pub tokens: AtomicU64,
    pub manifests: AtomicU64,
    pub blobs: AtomicU64,
    pub tag_lists: AtomicU64,
    pub retries: AtomicU64,
    pub cache_hits: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct StatsSnapshot {
    pub pings: u64,
    pub tokens: u64,
    pub manifests: u64,
    pub blobs: u64,
    pub tag_lists: u64,
    pub retries: u64,
    pub cache_hits: u64,
}

impl StatsSnapshot {
    pub fn http_requests(&self) -> u64 {
        self.pings + self.tokens + self.manifests + self.blobs + self.tag_lists
    }
}

#[derive(Debug, Clone)]
enum AuthScheme {
    None,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

#[derive(Debug, Clone)]
struct HostInfo {
    /// `https://host:port` or `http://...`.
    base: String,
    auth: AuthScheme,
}

#[derive(Clone)]
enum Credential {
    Basic(String, String),
    IdentityToken(String),
}

type Shared<T> = Arc<OnceCell<Result<T, RegistryError>>>;
/// The current token for (registry, scope); the lock makes concurrent
/// requests wait for one fetch.
type TokenSlot = Arc<tokio::sync::Mutex<Option<String>>>;

struct Inner {
    /// `None` when offline: no TLS roots loaded, no connections.
    http: Option<reqwest::Client>,
    opts: RegistryOptions,
    cache: Option<DiskCache>,
    hosts: Mutex<HashMap<String, Shared<HostInfo>>>,
    tokens: Mutex<HashMap<(String, String), TokenSlot>>,
    resolved: Mutex<HashMap<String, Shared<Resolved>>>,
    creds: Mutex<HashMap<String, Option<Credential>>>,
    stats: Stats,
}

/// The registry client. Cheap to share; blocking methods may be called from
/// any thread outside an async runtime.
pub struct Registry {
    inner: Arc<Inner>,
    runtime: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("options", &self.inner.opts)
            .finish()
    }
}

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

fn tls_config(ca_files: &[PathBuf]) -> Result<rustls::ClientConfig, RegistryError> {
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

impl Registry {
    pub fn new(opts: RegistryOptions) -> Result<Registry, RegistryError> {
        let http = if opts.offline {
            None
        } else {
            let tls = tls_config(&opts.ca_files)?;
            Some(
                reqwest::Client::builder()
                    .tls_backend_preconfigured(tls)
                    .user_agent(concat!("plimsoll/", env!("CARGO_PKG_VERSION")))
                    .timeout(opts.timeout)
                    .connect_timeout(opts.timeout.min(Duration::from_secs(10)))
                    .redirect(reqwest::redirect::Policy::limited(5))
                    .pool_max_idle_per_host(16)
                    .build()
                    .map_err(|e| {
                        RegistryError::new(ErrorKind::Config, format!("HTTP client: {e}"))
                    })?,
            )
        };
        let runtime = if opts.offline {
            tokio::runtime::Builder::new_current_thread().build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("plimsoll-registry")
                .enable_all()
                .build()
        }
        .map_err(|e| RegistryError::new(ErrorKind::Config, format!("async runtime: {e}")))?;
        Ok(Registry {
            inner: Arc::new(Inner {
                http,
                cache: opts.cache_dir.clone().map(DiskCache::new),
                opts,
                hosts: Mutex::default(),
                tokens: Mutex::default(),
                resolved: Mutex::default(),
                creds: Mutex::default(),
                stats: Stats::default(),
            }),
            runtime,
        })
    }

    pub fn options(&self) -> &RegistryOptions {
        &self.inner.opts
    }

    pub fn stats(&self) -> StatsSnapshot {
        let s = &self.inner.stats;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            pings: l(&s.pings),
            tokens: l(&s.tokens),
            manifests: l(&s.manifests),
            blobs: l(&s.blobs),
            tag_lists: l(&s.tag_lists),
            retries: l(&s.retries),
            cache_hits: l(&s.cache_hits),
        }
    }

    /// Resolves one reference (blocking).
    pub fn resolve(&self, reference: &str) -> Result<Resolved, RegistryError> {
        let inner = self.inner.clone();
        let reference = reference.to_string();
        self.runtime
            .block_on(async move { inner.resolve(&reference).await })
    }

    /// Resolves many references concurrently (blocking); answers in order.
    pub fn resolve_many(&self, references: &[String]) -> Vec<Result<Resolved, RegistryError>> {
        let inner = self.inner.clone();
        let refs = references.to_vec();
        self.runtime.block_on(async move {
            let futs = refs.iter().map(|r| {
                let inner = inner.clone();
                let r = r.clone();
                async move { inner.resolve(&r).await }
            });
            futures_util::future::join_all(futs).await
        })
    }

    /// A verified manifest (blocking).
    pub fn manifest(&self, reference: &str) -> Result<Fetched, RegistryError> {
        let inner = self.inner.clone();
        let reference = reference.to_string();
        self.runtime.block_on(async move {
            let r = ImageRef::parse(&reference)?;
            inner.manifest(&r).await
        })
    }

    /// A blob of `repository` (`127.0.0.1:5000/library/x`) by digest, at most
    /// `limit` bytes, verified against the digest (blocking). For small
    /// artefacts (signature payloads, bundles, configs), not layers.
    pub fn blob(
        &self,
        repository: &str,
        digest: &str,
        limit: usize,
    ) -> Result<Vec<u8>, RegistryError> {
        let inner = self.inner.clone();
        let r = ImageRef::parse(&format!("{repository}@{digest}"))?;
        self.runtime
            .block_on(async move { inner.blob(&r, limit).await })
    }

    /// Where a copy of the blob is on disk, in the cache directory,
    /// downloading (and verifying) it first when it is not there; `None`
    /// without a cache directory. The copy is not verified again here:
    /// callers that stream it hash it as they read.
    pub fn blob_file(
        &self,
        repository: &str,
        digest: &str,
        limit: usize,
    ) -> Result<Option<std::path::PathBuf>, RegistryError> {
        if self.inner.cache.is_none() {
            return Ok(None);
        }
        let inner = self.inner.clone();
        let r = ImageRef::parse(&format!("{repository}@{digest}"))?;
        self.runtime
            .block_on(async move { inner.blob_to_cache(&r, limit).await })
            .map(Some)
    }

    /// The OCI referrers index of `digest` in `repository` (the referrers
    /// API), or `None` when the registry has no such API (404) — callers then
    /// try the `sha256-<hex>` tag fallback (blocking).
    pub fn referrers(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<Option<Vec<u8>>, RegistryError> {
        let inner = self.inner.clone();
        let r = ImageRef::parse(&format!("{repository}@{digest}"))?;
        self.runtime
            .block_on(async move { inner.referrers(&r).await })
    }

    /// Downloads `url` (plain HTTP(S), not a registry API: vulnerability
    /// data archives), at most `limit` bytes, reporting (bytes so far, total
    /// when announced) to `progress` (blocking).
    pub fn download(
        &self,
        url: &str,
        limit: usize,
        progress: &(dyn Fn(u64, Option<u64>) + Sync),
    ) -> Result<Vec<u8>, RegistryError> {
        let inner = self.inner.clone();
        self.runtime.block_on(async move {
            let http = inner.http()?;
            let mut resp = http
                .get(url)
                .send()
                .await
                .map_err(|e| send_error(&e, url))?;
            if !resp.status().is_success() {
                let kind = if resp.status() == StatusCode::NOT_FOUND {
                    ErrorKind::NotFound
                } else {
                    ErrorKind::Unavailable
                };
                return Err(RegistryError::new(
                    kind,
                    format!("{}: HTTP {}", redact(url), resp.status().as_u16()),
                ));
            }
            let total = resp.content_length();
            if total.is_some_and(|n| n > limit as u64) {
                return Err(RegistryError::new(
                    ErrorKind::Protocol,
                    format!("{}: larger than {limit} bytes", redact(url)),
                ));
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| send_error(&e, url))? {
                if body.len() + chunk.len() > limit {
                    return Err(RegistryError::new(
                        ErrorKind::Protocol,
                        format!("{}: larger than {limit} bytes", redact(url)),
                    ));
                }
                body.extend_from_slice(&chunk);
                progress(body.len() as u64, total);
            }
            if total.is_some_and(|n| n != body.len() as u64) {
                return Err(RegistryError::new(
                    ErrorKind::Protocol,
                    format!(
                        "{}: truncated ({} of {} bytes)",
                        redact(url),
                        body.len(),
                        total.unwrap_or(0)
                    ),
                ));
            }
            Ok(body)
        })
    }

    /// Uploads `data` as a blob of `repository` unless the registry has it
    /// (monolithic upload: POST, then PUT with the digest); returns its
    /// digest (blocking).
    pub fn push_blob(&self, repository: &str, data: &[u8]) -> Result<String, RegistryError> {
        let inner = self.inner.clone();
        let digest = manifest::digest_of(data, "sha256:");
        let r = ImageRef::parse(&format!("{repository}@{digest}"))?;
        self.runtime
            .block_on(async move { inner.push_blob(&r, data).await })?;
        Ok(digest)
    }

    /// Stores a manifest under `reference`'s tag or digest; returns the
    /// manifest's digest, checked against what the registry announces
    /// (blocking).
    pub fn push_manifest(
        &self,
        reference: &str,
        body: &[u8],
        media_type: &str,
    ) -> Result<String, RegistryError> {
        let inner = self.inner.clone();
        let r = ImageRef::parse(reference)?;
        self.runtime
            .block_on(async move { inner.push_manifest(&r, body, media_type).await })
    }

    /// Every tag of a repository (`docker.io/library/alpine`), all pages (blocking).
    pub fn list_tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        let inner = self.inner.clone();
        let repository = repository.to_string();
        self.runtime
            .block_on(async move { inner.list_tags(&repository).await })
    }
}

fn is_loopback(host: &str) -> bool {
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
fn retry_after(headers: &HeaderMap) -> Option<u32> {
    headers.get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()
}

/// The message of a distribution error body, when there is one.
fn error_detail(body: &[u8]) -> String {
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
const CERT_HINT: &str = "is the registry's CA in --ca-file or SSL_CERT_FILE?";

/// The rustls error in a reqwest error's cause chain, if any.
fn tls_error(e: &reqwest::Error) -> Option<&rustls::Error> {
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

/// A refused upload, with the registry's own words.
fn push_error(resp: &Response, r: &ImageRef, doing: &str) -> RegistryError {
    let kind = match resp.status {
        StatusCode::UNAUTHORIZED => ErrorKind::Unauthorized,
        StatusCode::FORBIDDEN => ErrorKind::Denied,
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        _ => ErrorKind::Protocol,
    };
    RegistryError::new(
        kind,
        format!(
            "{r}: {doing} failed (HTTP {}){}",
            resp.status.as_u16(),
            detail_suffix(&resp.body)
        ),
    )
}

fn send_error(e: &reqwest::Error, url: &str) -> RegistryError {
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
fn redact(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
    /// A successful body streamed to a temporary file (see [`Call::spool`]).
    file: Option<tempfile::NamedTempFile>,
}

/// What [`Inner::call`] sends.
struct Call<'a> {
    method: Method,
    target: &'a str,
    accept: Option<&'a str>,
    /// Body and its content type.
    body: Option<(&'a [u8], &'a str)>,
    /// Stream a successful answer's body into a temporary file in this
    /// directory instead of memory (layers: never held whole in memory).
    spool: Option<&'a std::path::Path>,
}

impl Inner {
    fn http(&self) -> Result<&reqwest::Client, RegistryError> {
        self.http.as_ref().ok_or_else(|| {
            RegistryError::new(ErrorKind::Offline, "offline: no registry requests are made")
        })
    }

    fn credential(&self, registry: &str) -> Option<Credential> {
        let key = credential_key(registry);
        if let Some(c) = self.creds.lock().unwrap().get(&key) {
            return c.clone();
        }
        let found = self.lookup_credential(&key);
        self.creds.lock().unwrap().insert(key, found.clone());
        found
    }

    fn lookup_credential(&self, key: &str) -> Option<Credential> {
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
    async fn exchange(
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
    async fn exchange_with(
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
    async fn host(&self, registry: &str) -> Result<HostInfo, RegistryError> {
        let cell = slot(&self.hosts, registry.to_string());
        cell.get_or_init(|| self.discover(registry)).await.clone()
    }

    async fn discover(&self, registry: &str) -> Result<HostInfo, RegistryError> {
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
    async fn token(
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

    /// GET `path` on the registry with whatever auth it wants.
    async fn get(
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
    async fn call(
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

    /// A manifest by tag or digest, verified; from the cache when it may be.
    async fn manifest(&self, r: &ImageRef) -> Result<Fetched, RegistryError> {
        let cache = self.cache.as_ref();
        let by_tag = r.without_digest().to_string();
        if let Some(c) = cache {
            let found = match &r.digest {
                Some(d) => c.manifest(d).map(|m| (d.clone(), m)),
                None => c
                    .tagged_manifest(&by_tag, (!self.opts.offline).then_some(self.opts.tag_ttl))
                    .map(|(t, m)| (t.digest, m)),
            };
            if let Some((d, (media_type, body))) = found {
                self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Fetched {
                    digest: d,
                    media_type,
                    body,
                });
            }
        }
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let what = r.manifest_reference();
        let path = format!("/v2/{}/manifests/{}", r.repository, what);
        let resp = self
            .get(
                &r.registry,
                &r.repository,
                &path,
                Some(manifest::ACCEPT),
                &self.stats.manifests,
                manifest::MAX_MANIFEST_BYTES,
            )
            .await?;
        expect_success(&resp, r, "manifest")?;
        let announced = resp
            .headers
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let digest = match (&r.digest, announced) {
            (Some(d), _) => {
                manifest::verify(&resp.body, d, &r.to_string())?;
                d.clone()
            }
            (None, Some(a)) => {
                manifest::verify(&resp.body, &a, &format!("{r} (Docker-Content-Digest)"))?;
                a
            }
            (None, None) => manifest::digest_of(&resp.body, "sha256:"),
        };
        let content_type = resp.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
        let facts = manifest::facts(&resp.body, content_type)
            .map_err(|m| RegistryError::new(ErrorKind::Protocol, format!("{r}: {m}")))?;
        if let Some(c) = cache {
            c.put_manifest(&digest, &facts.media_type, &resp.body);
            if r.digest.is_none() {
                c.put_tag(&by_tag, &digest, &facts.media_type);
            }
        }
        Ok(Fetched {
            digest,
            media_type: facts.media_type,
            body: resp.body,
        })
    }

    async fn push_blob(&self, r: &ImageRef, data: &[u8]) -> Result<(), RegistryError> {
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let digest = r.digest.as_deref().unwrap_or_default();
        let count = &self.stats.blobs;
        let head = Call {
            method: Method::HEAD,
            target: &format!("/v2/{}/blobs/{digest}", r.repository),
            accept: None,
            body: None,
            spool: None,
        };
        let exists = self
            .call(&r.registry, &r.repository, head, count, 0)
            .await?;
        if exists.status.is_success() {
            return Ok(());
        }
        let start = Call {
            method: Method::POST,
            target: &format!("/v2/{}/blobs/uploads/", r.repository),
            accept: None,
            body: Some((&[], "application/octet-stream")),
            spool: None,
        };
        let resp = self
            .call(&r.registry, &r.repository, start, count, 1 << 16)
            .await?;
        if resp.status != StatusCode::ACCEPTED {
            return Err(push_error(&resp, r, "starting a blob upload"));
        }
        let location = resp
            .headers
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                RegistryError::new(
                    ErrorKind::Protocol,
                    format!("{r}: the registry started an upload without a Location"),
                )
            })?;
        let sep = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{sep}digest={digest}");
        let finish = Call {
            method: Method::PUT,
            target: &put,
            accept: None,
            body: Some((data, "application/octet-stream")),
            spool: None,
        };
        let resp = self
            .call(&r.registry, &r.repository, finish, count, 1 << 16)
            .await?;
        if resp.status != StatusCode::CREATED {
            return Err(push_error(&resp, r, "uploading a blob"));
        }
        Ok(())
    }

    async fn push_manifest(
        &self,
        r: &ImageRef,
        body: &[u8],
        media_type: &str,
    ) -> Result<String, RegistryError> {
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let digest = manifest::digest_of(body, "sha256:");
        let put = Call {
            method: Method::PUT,
            target: &format!("/v2/{}/manifests/{}", r.repository, r.manifest_reference()),
            accept: None,
            body: Some((body, media_type)),
            spool: None,
        };
        let resp = self
            .call(&r.registry, &r.repository, put, &self.stats.blobs, 1 << 16)
            .await?;
        if resp.status != StatusCode::CREATED {
            return Err(push_error(&resp, r, "storing the manifest"));
        }
        if let Some(announced) = resp
            .headers
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && announced != digest
        {
            return Err(RegistryError::new(
                ErrorKind::DigestMismatch,
                format!("{r}: the registry stored the manifest as {announced}, not {digest}"),
            ));
        }
        Ok(digest)
    }

    async fn blob(&self, r: &ImageRef, limit: usize) -> Result<Vec<u8>, RegistryError> {
        let digest = r.digest.clone().ok_or_else(|| {
            RegistryError::new(
                ErrorKind::InvalidReference,
                format!("{r}: a blob needs a digest"),
            )
        })?;
        if let Some(body) = self.cache.as_ref().and_then(|c| c.blob(&digest)) {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(body);
        }
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let path = format!("/v2/{}/blobs/{}", r.repository, digest);
        let resp = self
            .get(
                &r.registry,
                &r.repository,
                &path,
                None,
                &self.stats.blobs,
                limit,
            )
            .await?;
        expect_success(&resp, r, "blob")?;
        manifest::verify(&resp.body, &digest, &format!("blob {r}"))?;
        if let Some(c) = self.cache.as_ref() {
            c.put_blob(&digest, &resp.body);
        }
        Ok(resp.body)
    }

    /// The blob's copy in the cache directory, downloaded first when it is
    /// not there: streamed to a temporary file beside it (never whole in
    /// memory), verified against the digest, then moved into place.
    async fn blob_to_cache(
        &self,
        r: &ImageRef,
        limit: usize,
    ) -> Result<std::path::PathBuf, RegistryError> {
        let digest = r.digest.clone().unwrap_or_default();
        manifest::check_algorithm(&digest, &r.to_string())?;
        let dest = self
            .cache
            .as_ref()
            .and_then(|c| c.blob_path(&digest))
            .ok_or_else(|| {
                RegistryError::new(
                    ErrorKind::InvalidReference,
                    format!("{r}: `{digest}` is not a digest"),
                )
            })?;
        if dest.is_file() {
            self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(dest);
        }
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let dir = dest.parent().unwrap_or(std::path::Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| {
            RegistryError::new(
                ErrorKind::Unavailable,
                format!("cannot create {}: {e}", dir.display()),
            )
        })?;
        let target = format!("/v2/{}/blobs/{}", r.repository, digest);
        let req = Call {
            method: Method::GET,
            target: &target,
            accept: None,
            body: None,
            spool: Some(dir),
        };
        let resp = self
            .call(&r.registry, &r.repository, req, &self.stats.blobs, limit)
            .await?;
        expect_success(&resp, r, "blob")?;
        let file = resp
            .file
            .ok_or_else(|| RegistryError::new(ErrorKind::Protocol, format!("{r}: no blob body")))?;
        let actual = std::fs::File::open(file.path())
            .and_then(|f| manifest::digest_of_reader(std::io::BufReader::new(f), &digest))
            .map_err(|e| {
                RegistryError::new(
                    ErrorKind::Unavailable,
                    format!("{r}: cannot hash the download: {e}"),
                )
            })?;
        if actual != digest {
            return Err(RegistryError::new(
                ErrorKind::DigestMismatch,
                format!(
                    "blob {r}: the registry sent content that hashes to {actual}, not {digest}; refusing it"
                ),
            ));
        }
        file.persist(&dest).map_err(|e| {
            RegistryError::new(
                ErrorKind::Unavailable,
                format!(
                    "cannot keep the download as {}: {}",
                    dest.display(),
                    e.error
                ),
            )
        })?;
        Ok(dest)
    }

    async fn referrers(&self, r: &ImageRef) -> Result<Option<Vec<u8>>, RegistryError> {
        if self.opts.offline {
            return Err(offline_miss(r));
        }
        let digest = r.digest.as_deref().unwrap_or_default();
        let path = format!("/v2/{}/referrers/{}", r.repository, digest);
        let resp = self
            .get(
                &r.registry,
                &r.repository,
                &path,
                Some("application/vnd.oci.image.index.v1+json"),
                &self.stats.manifests,
                manifest::MAX_MANIFEST_BYTES,
            )
            .await?;
        if resp.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        expect_success(&resp, r, "referrers index")?;
        Ok(Some(resp.body))
    }

    async fn resolve(&self, reference: &str) -> Result<Resolved, RegistryError> {
        let r = ImageRef::parse(reference)?;
        let key = r.to_string();
        let cell = slot(&self.resolved, key.clone());
        cell.get_or_init(|| async {
            let f = self.manifest(&r).await?;
            let facts = manifest::facts(&f.body, Some(&f.media_type))
                .map_err(|m| RegistryError::new(ErrorKind::Protocol, format!("{r}: {m}")))?;
            Ok(Resolved {
                canonical: key.clone(),
                digest: f.digest,
                media_type: facts.media_type,
                platforms: facts.platforms,
            })
        })
        .await
        .clone()
    }

    async fn list_tags(&self, repository: &str) -> Result<Vec<String>, RegistryError> {
        let r = ImageRef::parse(repository)?;
        if self.opts.offline {
            return Err(RegistryError::new(
                ErrorKind::Offline,
                format!("{}: offline; tags are never cached", r.repository_name()),
            ));
        }
        let mut tags = Vec::new();
        let mut next = Some(format!("/v2/{}/tags/list?n=1000", r.repository));
        let mut pages = 0;
        while let Some(path) = next.take() {
            pages += 1;
            if pages > 100 {
                return Err(RegistryError::new(
                    ErrorKind::Protocol,
                    format!("{}: more than 100 pages of tags", r.repository_name()),
                ));
            }
            let resp = self
                .get(
                    &r.registry,
                    &r.repository,
                    &path,
                    None,
                    &self.stats.tag_lists,
                    8 << 20,
                )
                .await?;
            if resp.status == StatusCode::NOT_FOUND {
                return Err(RegistryError::new(
                    ErrorKind::NotFound,
                    format!("{}: repository not found", r.repository_name()),
                ));
            }
            if !resp.status.is_success() {
                return Err(RegistryError::new(
                    ErrorKind::Protocol,
                    format!(
                        "{}: unexpected HTTP {} listing tags",
                        r.repository_name(),
                        resp.status
                    ),
                ));
            }
            #[derive(serde::Deserialize)]
            struct TagList {
                tags: Option<Vec<String>>,
            }
            let page: TagList = serde_json::from_slice(&resp.body).map_err(|e| {
                RegistryError::new(
                    ErrorKind::Protocol,
                    format!("{}: tag list is not valid JSON: {e}", r.repository_name()),
                )
            })?;
            tags.extend(page.tags.unwrap_or_default());
            next = resp
                .headers
                .get("link")
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
        }
        Ok(tags)
    }
}

/// The path of a `Link: </v2/...>; rel="next"` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            let t = target.trim().trim_start_matches('<').trim_end_matches('>');
            // Absolute URLs keep only their path and query.
            match reqwest::Url::parse(t) {
                Ok(u) => format!(
                    "{}{}",
                    u.path(),
                    u.query().map(|q| format!("?{q}")).unwrap_or_default()
                ),
                Err(_) => t.to_string(),
            }
        })
    })
}

fn detail_suffix(body: &[u8]) -> String {
    let d = error_detail(body);
    if d.is_empty() { d } else { format!(" ({d})") }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64 << attempt.min(5))
}

fn parse_challenge(headers: &HeaderMap) -> Option<AuthScheme> {
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

enum BodyError {
    TooBig,
    Read(reqwest::Error),
    Spool(std::io::Error),
}

/// The shared memo slot for `key`, created empty on first ask: each
/// registry probe, token scope and reference is worked out once per run.
fn slot<K: Eq + std::hash::Hash, V: Default + Clone>(map: &Mutex<HashMap<K, V>>, key: K) -> V {
    map.lock().unwrap().entry(key).or_default().clone()
}

/// 404 is "not found"; any other non-2xx answer is a protocol error.
fn expect_success(resp: &Response, r: &ImageRef, what: &str) -> Result<(), RegistryError> {
    if resp.status == StatusCode::NOT_FOUND {
        return Err(RegistryError::new(
            ErrorKind::NotFound,
            format!(
                "{r}: {what} not found in the registry{}",
                detail_suffix(&resp.body)
            ),
        ));
    }
    if !resp.status.is_success() {
        return Err(RegistryError::new(
            ErrorKind::Protocol,
            format!(
                "{r}: unexpected HTTP {} for a {what}{}",
                resp.status,
                detail_suffix(&resp.body)
            ),
        ));
    }
    Ok(())
}

fn offline_miss(r: &ImageRef) -> RegistryError {
    RegistryError::new(
        ErrorKind::Offline,
        format!("{r}: offline and not in the registry cache"),
    )
}

/// A response body of at most `limit` bytes: in memory, or streamed to a
/// new temporary file in `spool` (which then holds all of it).
async fn read_body(
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
    fn link_headers() {
        assert_eq!(
            next_link(r#"</v2/a/tags/list?last=x&n=2>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?last=x&n=2")
        );
        assert_eq!(
            next_link(r#"<https://r.example/v2/a/tags/list?n=2&last=b>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?n=2&last=b")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
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
mod origin_tests {
    use super::*;

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
