//! The registry client: one HTTP connection pool for the run, per-registry
//! discovery (scheme and auth) done once, tokens shared by every request to a
//! repository, every unique reference resolved once, bounded retries.
//!
//! This file holds the public face ([`Registry`] and its options) and the
//! state shared by a run; the work is split by concern: [`transport`] (TLS,
//! the one HTTP call, retries, errors), [`auth`] (discovery, credentials,
//! tokens), [`reads`] (manifests, blobs, referrers, tags, resolution) and
//! [`push`].

mod auth;
mod push;
mod reads;
mod transport;

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

use auth::*;
use reads::*;
pub use transport::read_ca_files;
use transport::*;

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

/// The shared memo slot for `key`, created empty on first ask: each
/// registry probe, token scope and reference is worked out once per run.
fn slot<K: Eq + std::hash::Hash, V: Default + Clone>(map: &Mutex<HashMap<K, V>>, key: K) -> V {
    map.lock().unwrap().entry(key).or_default().clone()
}
