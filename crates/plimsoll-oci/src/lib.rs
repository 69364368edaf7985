//! plimsoll's registry client.
//!
//! Built on reqwest (rustls, the system's roots plus `--ca-file`),
//! distribution's reference grammar (checked against oci-spec's, see
//! `reference.rs`), docker_credential for `~/.docker/config.json` and
//! credential helpers, and http-auth for `WWW-Authenticate` challenges. What
//! is ours is the policy around them, which no crate offers together:
//!
//! - every manifest is verified: fetched by digest, it must hash to it; fetched
//!   by tag, it must hash to the `Docker-Content-Digest` the registry announced;
//! - one manifest GET per unique reference per run (in-process memo), one
//!   `GET /v2/` per registry to learn its scheme and auth, one token per
//!   repository shared by concurrent requests;
//! - 429 honoured up to a bound (`Retry-After`), 5xx and broken connections
//!   retried with backoff, redirect loops and oversized or truncated bodies
//!   refused, every failure a [`RegistryError`] with a kind and a message that
//!   names the reference and never a credential;
//! - an on-disk cache (manifests by digest forever, tags for a TTL) that also
//!   serves `--offline`.

mod cache;
mod client;
mod error;
pub mod image;
pub mod layers;
pub mod manifest;
mod reference;

pub use cache::DiskCache;
pub use client::{Fetched, Registry, RegistryOptions, Resolved, StatsSnapshot, read_ca_files};
pub use error::{ErrorKind, RegistryError};
pub use image::{Image, ImageError, ImageSource, LayerInfo};
pub use layers::{BlobData, Entry, Filesystem, Kind, LayerError, LayerErrorKind, Limits};
pub use manifest::{Platform, PlatformManifest};
pub use reference::{ImageRef, api_host, credential_key};
