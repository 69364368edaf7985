//! The on-disk response cache.
//!
//! - `manifests/<algo>/<hex>.json`: a verified manifest body and its media
//!   type. Content-addressed, so valid forever; re-verified on every read.
//! - `tags/<sha256 of the reference>.json`: what a tag pointed to and when we
//!   asked. Fresh for the configured TTL; `--offline` uses it whatever its age.
//!
//! Writes are atomic (temp file + rename); unreadable or corrupt entries are
//! misses, never errors.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::manifest;

#[derive(Debug, Clone)]
pub struct DiskCache {
    dir: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct ManifestEntry {
    media_type: String,
    body: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TagEntry {
    pub reference: String,
    pub digest: String,
    pub media_type: String,
    /// Seconds since the epoch.
    pub fetched_at: u64,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl DiskCache {
    pub fn new(dir: impl Into<PathBuf>) -> DiskCache {
        DiskCache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn manifest_path(&self, digest: &str) -> Option<PathBuf> {
        let (algo, hex) = digest.split_once(':')?;
        let ok = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
        (ok(algo) && ok(hex)).then(|| {
            self.dir
                .join("manifests")
                .join(algo)
                .join(format!("{hex}.json"))
        })
    }

    /// Where the blob `digest` is (or would be) kept.
    pub fn blob_path(&self, digest: &str) -> Option<PathBuf> {
        self.manifest_path(digest).map(|p| p.with_extension("blob"))
    }

    /// A small blob by digest (signature payloads, bundles), verified.
    pub fn blob(&self, digest: &str) -> Option<Vec<u8>> {
        let body = std::fs::read(self.blob_path(digest)?).ok()?;
        manifest::verify(&body, digest, "cache").ok()?;
        Some(body)
    }

    pub fn put_blob(&self, digest: &str, body: &[u8]) {
        if let Some(path) = self.blob_path(digest) {
            write_atomic(&path, body);
        }
    }

    fn tag_path(&self, reference: &str) -> PathBuf {
        let key = hex::encode(Sha256::digest(reference.as_bytes()));
        self.dir.join("tags").join(format!("{key}.json"))
    }

    /// A manifest by digest: (media type, body), verified against the digest.
    pub fn manifest(&self, digest: &str) -> Option<(String, Vec<u8>)> {
        let bytes = std::fs::read(self.manifest_path(digest)?).ok()?;
        let e: ManifestEntry = serde_json::from_slice(&bytes).ok()?;
        let body = e.body.into_bytes();
        manifest::verify(&body, digest, "cache").ok()?;
        Some((e.media_type, body))
    }

    pub fn put_manifest(&self, digest: &str, media_type: &str, body: &[u8]) {
        let (Some(path), Ok(body)) = (self.manifest_path(digest), std::str::from_utf8(body)) else {
            return;
        };
        let entry = ManifestEntry {
            media_type: media_type.to_string(),
            body: body.to_string(),
        };
        write_atomic(&path, &serde_json::to_vec(&entry).unwrap_or_default());
    }

    /// What `reference` pointed to, if we asked within `ttl` (any age when
    /// `ttl` is `None`).
    /// What `reference` (a tag) pointed to when last asked, if that answer
    /// is younger than `ttl` (any age with `None`: `--offline`). The entry
    /// must name this reference (not be another tag's file copied here), be
    /// dated no later than now, and point to a manifest this cache holds
    /// and that still hashes to its digest; anything else is asked again.
    pub fn tag(&self, reference: &str, ttl: Option<Duration>) -> Option<TagEntry> {
        self.tagged_manifest(reference, ttl).map(|(e, _)| e)
    }

    /// [`DiskCache::tag`] with the manifest it points to (media type, body),
    /// read and verified once.
    pub fn tagged_manifest(
        &self,
        reference: &str,
        ttl: Option<Duration>,
    ) -> Option<(TagEntry, (String, Vec<u8>))> {
        let bytes = std::fs::read(self.tag_path(reference)).ok()?;
        let e: TagEntry = serde_json::from_slice(&bytes).ok()?;
        if e.reference != reference || e.fetched_at > now() + 60 {
            return None;
        }
        if ttl.is_some_and(|ttl| now().saturating_sub(e.fetched_at) >= ttl.as_secs()) {
            return None;
        }
        let manifest = self.manifest(&e.digest)?;
        Some((e, manifest))
    }

    pub fn put_tag(&self, reference: &str, digest: &str, media_type: &str) {
        let e = TagEntry {
            reference: reference.to_string(),
            digest: digest.to_string(),
            media_type: media_type.to_string(),
            fetched_at: now(),
        };
        write_atomic(
            &self.tag_path(reference),
            &serde_json::to_vec(&e).unwrap_or_default(),
        );
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) {
    if let Err(e) = plimsoll_fs::AtomicWrite::new().write(path, bytes) {
        tracing::debug!("registry cache: cannot write {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let c = DiskCache::new(dir.path());
        let body = br#"{"schemaVersion":2}"#;
        let d = manifest::digest_of(body, "sha256:");
        c.put_manifest(&d, manifest::OCI_MANIFEST, body);
        assert_eq!(c.manifest(&d).unwrap().1, body);
        // A tampered entry is a miss.
        let p = c.manifest_path(&d).unwrap();
        let tampered = std::fs::read_to_string(&p).unwrap().replace('2', "3");
        std::fs::write(&p, tampered).unwrap();
        assert!(c.manifest(&d).is_none());
        assert!(c.manifest("../../etc:passwd").is_none());

        c.put_manifest(&d, manifest::OCI_MANIFEST, body);
        c.put_tag("r/a:1", &d, manifest::OCI_MANIFEST);
        assert_eq!(
            c.tag("r/a:1", Some(Duration::from_secs(60)))
                .unwrap()
                .digest,
            d
        );
        assert!(c.tag("r/a:2", None).is_none());
    }
}

#[cfg(test)]
mod tag_tests {
    use super::*;

    #[test]
    fn tag_entries_are_checked_before_use() {
        let dir = tempfile::tempdir().unwrap();
        let c = DiskCache::new(dir.path());
        let body = br#"{"schemaVersion":2}"#;
        let digest = manifest::digest_of(body, "sha256:");
        c.put_manifest(&digest, "application/vnd.oci.image.manifest.v1+json", body);
        c.put_tag(
            "r.example/app:1",
            &digest,
            "application/vnd.oci.image.manifest.v1+json",
        );
        assert_eq!(c.tag("r.example/app:1", None).unwrap().digest, digest);
        // Another tag's entry copied over this one's file.
        std::fs::copy(c.tag_path("r.example/app:1"), c.tag_path("r.example/app:2")).unwrap();
        assert!(c.tag("r.example/app:2", None).is_none());
        // Dated in the future (to outlive any TTL).
        let mut e: TagEntry =
            serde_json::from_slice(&std::fs::read(c.tag_path("r.example/app:1")).unwrap()).unwrap();
        e.fetched_at = now() + 86_400;
        std::fs::write(
            c.tag_path("r.example/app:1"),
            serde_json::to_vec(&e).unwrap(),
        )
        .unwrap();
        assert!(
            c.tag("r.example/app:1", Some(Duration::from_secs(300)))
                .is_none()
        );
        // Pointing at a manifest the cache does not hold (or that no longer
        // hashes to its digest).
        c.put_tag(
            "r.example/app:3",
            &format!("sha256:{}", "0".repeat(64)),
            "x",
        );
        assert!(c.tag("r.example/app:3", None).is_none());
        std::fs::write(
            c.manifest_path(&digest).unwrap(),
            b"{\"media_type\":\"x\",\"body\":\"tampered\"}",
        )
        .unwrap();
        c.put_tag("r.example/app:1", &digest, "x");
        assert!(c.tag("r.example/app:1", None).is_none());
    }
}
