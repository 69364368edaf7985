//! Manifests as far as pinning needs them: media types, digests, and the
//! platforms of an index (attestations left out).

use serde::Deserialize;
use sha2::{Digest as _, Sha256, Sha512};

use crate::error::{ErrorKind, RegistryError};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

/// The Accept header for manifest requests: all four current media types.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// Manifests larger than this are refused (containerd uses the same bound).
pub const MAX_MANIFEST_BYTES: usize = 4 << 20;

pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// An OS/architecture pair, as in an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `linux/arm64/v8`.
    pub fn parse(s: &str) -> Option<Platform> {
        let mut it = s.trim().split('/');
        let os = it.next().filter(|s| !s.is_empty())?.to_ascii_lowercase();
        let architecture = it.next().filter(|s| !s.is_empty())?.to_ascii_lowercase();
        let variant = it.next().map(str::to_ascii_lowercase);
        it.next().is_none().then_some(Platform {
            os,
            architecture,
            variant,
        })
    }

    /// Whether this entry serves `wanted` (a missing variant matches any,
    /// and arm64's default variant is v8).
    pub fn matches(&self, wanted: &Platform) -> bool {
        let norm = |p: &Platform| {
            let v = match (p.architecture.as_str(), p.variant.as_deref()) {
                ("arm64", None) => Some("v8".to_string()),
                (_, v) => v.map(str::to_string),
            };
            (p.os.clone(), p.architecture.clone(), v)
        };
        let (a, b) = (norm(self), norm(wanted));
        a.0 == b.0 && a.1 == b.1 && (a.2.is_none() || b.2.is_none() || a.2 == b.2)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// One platform's manifest in an index.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlatformManifest {
    pub platform: Platform,
    pub digest: String,
    pub media_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    schema_version: Option<u32>,
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<RawEntry>>,
    #[serde(default)]
    config: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    media_type: Option<String>,
    digest: String,
    platform: Option<Platform>,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
}

/// What a manifest body says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestFacts {
    pub media_type: String,
    /// Platform manifests of an index; empty for a single manifest.
    pub platforms: Vec<PlatformManifest>,
}

const SCHEMA1: &str = "Docker schema 1 manifests are deprecated and not supported; push the image again with a current client";

/// Reads a manifest body; `content_type` is the response header, used when the
/// body does not name its media type.
pub fn facts(body: &[u8], content_type: Option<&str>) -> Result<ManifestFacts, String> {
    let raw: RawManifest =
        serde_json::from_slice(body).map_err(|e| format!("manifest is not valid JSON: {e}"))?;
    if raw.schema_version == Some(1) {
        return Err(SCHEMA1.into());
    }
    let header = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim().to_string())
        .filter(|c| !c.is_empty() && c != "application/json" && c != "text/plain");
    let media_type = match (raw.media_type.clone(), header) {
        (Some(m), _) => m,
        (None, Some(h)) => h,
        // OCI allows omitting mediaType: an index has `manifests`, a manifest `config`.
        (None, None) if raw.manifests.is_some() => OCI_INDEX.to_string(),
        (None, None) if raw.config.is_some() => OCI_MANIFEST.to_string(),
        (None, None) => return Err("manifest names no media type".into()),
    };
    if media_type.starts_with("application/vnd.docker.distribution.manifest.v1+") {
        return Err(SCHEMA1.into());
    }
    if ![OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST].contains(&media_type.as_str()) {
        return Err(format!("unsupported manifest media type `{media_type}`"));
    }
    let mut platforms = Vec::new();
    if is_index(&media_type) {
        for e in raw.manifests.unwrap_or_default() {
            let Some(p) = e.platform else { continue };
            let attestation = (p.os == "unknown" && p.architecture == "unknown")
                || e.annotations
                    .get("vnd.docker.reference.type")
                    .map(String::as_str)
                    == Some("attestation-manifest");
            if attestation {
                continue;
            }
            platforms.push(PlatformManifest {
                platform: p,
                digest: e.digest,
                media_type: e.media_type.unwrap_or_default(),
            });
        }
    }
    Ok(ManifestFacts {
        media_type,
        platforms,
    })
}

/// `sha256:<hex>` of `body`, or of the algorithm `like` names.
pub fn digest_of(body: &[u8], like: &str) -> String {
    match like.split_once(':').map(|(a, _)| a) {
        Some("sha512") => format!("sha512:{}", hex::encode(Sha512::digest(body))),
        _ => format!("sha256:{}", hex::encode(Sha256::digest(body))),
    }
}

/// The digest of what `r` yields, hashed as it streams, in the algorithm
/// `like` names (as [`digest_of`]).
pub fn digest_of_reader(mut r: impl std::io::Read, like: &str) -> std::io::Result<String> {
    Ok(match like.split_once(':').map(|(a, _)| a) {
        Some("sha512") => {
            let mut h = Sha512::new();
            std::io::copy(&mut r, &mut h)?;
            format!("sha512:{}", hex::encode(h.finalize()))
        }
        _ => {
            let mut h = Sha256::new();
            std::io::copy(&mut r, &mut h)?;
            format!("sha256:{}", hex::encode(h.finalize()))
        }
    })
}

/// Refuses a digest whose algorithm plimsoll cannot verify.
pub fn check_algorithm(expected: &str, what: &str) -> Result<(), RegistryError> {
    let algo = expected.split_once(':').map(|(a, _)| a).unwrap_or("");
    if algo != "sha256" && algo != "sha512" {
        return Err(RegistryError::new(
            ErrorKind::DigestMismatch,
            format!(
                "{what}: cannot verify digest `{expected}` (only sha256 and sha512 are supported)"
            ),
        ));
    }
    Ok(())
}

/// Checks that `body` hashes to `expected`.
pub fn verify(body: &[u8], expected: &str, what: &str) -> Result<(), RegistryError> {
    check_algorithm(expected, what)?;
    let actual = digest_of(body, expected);
    if actual != expected {
        return Err(RegistryError::new(
            ErrorKind::DigestMismatch,
            format!(
                "{what}: the registry sent content that hashes to {actual}, not {expected}; refusing it"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_platforms_skip_attestations() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:aa","size":1,"platform":{"os":"linux","architecture":"amd64"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:bb","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
            {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:cc","size":1,"platform":{"os":"unknown","architecture":"unknown"},"annotations":{"vnd.docker.reference.type":"attestation-manifest","vnd.docker.reference.digest":"sha256:aa"}}]}"#;
        let f = facts(body, None).unwrap();
        assert_eq!(f.media_type, OCI_INDEX);
        let d: Vec<_> = f.platforms.iter().map(|p| p.digest.as_str()).collect();
        assert_eq!(d, ["sha256:aa", "sha256:bb"]);
        let arm = Platform::parse("linux/arm64").unwrap();
        assert!(f.platforms[1].platform.matches(&arm));
        assert!(!f.platforms[0].platform.matches(&arm));
    }

    #[test]
    fn media_type_from_header_or_shape() {
        let f = facts(br#"{"schemaVersion":2,"config":{}}"#, Some(DOCKER_MANIFEST)).unwrap();
        assert_eq!(f.media_type, DOCKER_MANIFEST);
        let f = facts(
            br#"{"schemaVersion":2,"config":{}}"#,
            Some("application/json"),
        )
        .unwrap();
        assert_eq!(f.media_type, OCI_MANIFEST);
        assert!(
            facts(br#"{"schemaVersion":1,"fsLayers":[]}"#, None)
                .unwrap_err()
                .contains("schema 1")
        );
        assert!(
            facts(b"<html>", None)
                .unwrap_err()
                .contains("not valid JSON")
        );
    }

    #[test]
    fn verification() {
        let d = digest_of(b"hello", "sha256:x");
        assert!(verify(b"hello", &d, "x").is_ok());
        let e = verify(b"hellO", &d, "127.0.0.1:5000/a@sha256").unwrap_err();
        assert_eq!(e.kind, ErrorKind::DigestMismatch);
        assert!(e.message.contains("refusing"));
        assert!(verify(b"hello", &digest_of(b"hello", "sha512:x"), "x").is_ok());
    }
}
