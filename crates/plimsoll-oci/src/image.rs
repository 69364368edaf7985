//! Images from three sources — a registry reference, an OCI image layout
//! directory (`oci:DIR[:TAG]`) or a `docker save` tarball
//! (`docker-archive:FILE`) — resolved to one platform's manifest, config and
//! layers, every blob verified against its digest, and the layers merged
//! into a [`Filesystem`]. [`ImageSource::parse`] holds the one list of
//! schemes, including `sbom:FILE` (Grype's spelling), an SBOM standing in
//! for an image it describes, which has no layers to open.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::layers::{BlobData, Filesystem, LayerBlob, LayerError, Limits};
use crate::manifest::{self, Platform};
use crate::{ErrorKind, Registry, RegistryError};

/// Where an image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    Registry(String),
    OciLayout {
        dir: PathBuf,
        tag: Option<String>,
    },
    DockerArchive(PathBuf),
    /// `sbom:FILE`: a CycloneDX or SPDX document listing an image's
    /// packages (checked as `--sbom FILE`).
    Sbom(PathBuf),
}

impl ImageSource {
    /// `oci:DIR[:TAG]`, `docker-archive:FILE`, `sbom:FILE`, or a registry
    /// reference.
    pub fn parse(s: &str) -> ImageSource {
        if let Some(rest) = s.strip_prefix("oci:") {
            // `oci:dir:tag` — the tag is after the last `:` that follows the
            // last `/` (directories may contain `:`, tags may not contain `/`).
            let (dir, tag) = match rest.rfind(':') {
                Some(i) if !rest[i..].contains('/') && i > 0 => {
                    (&rest[..i], Some(rest[i + 1..].to_string()))
                }
                _ => (rest, None),
            };
            return ImageSource::OciLayout {
                dir: PathBuf::from(dir),
                tag: tag.filter(|t| !t.is_empty()),
            };
        }
        if let Some(file) = s.strip_prefix("docker-archive:") {
            return ImageSource::DockerArchive(PathBuf::from(file));
        }
        if let Some(file) = s.strip_prefix("sbom:") {
            return ImageSource::Sbom(PathBuf::from(file));
        }
        ImageSource::Registry(s.to_string())
    }
}

/// Why an image could not be opened.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ImageError {
    #[error("{0}")]
    Registry(#[from] RegistryError),
    #[error("{0}")]
    Layer(#[from] LayerError),
    /// The source is not a usable image (missing file, bad JSON, digest
    /// mismatch, no such platform...).
    #[error("{0}")]
    Invalid(String),
}

impl ImageError {
    /// A stable kind for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            ImageError::Registry(e) => e.kind.as_str(),
            ImageError::Layer(e) => e.kind.as_str(),
            ImageError::Invalid(_) => "invalid-image",
        }
    }
}

fn invalid(m: impl Into<String>) -> ImageError {
    ImageError::Invalid(m.into())
}

/// One layer as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerInfo {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
}

/// An opened image.
pub struct Image {
    /// As given (`oci:./layout:1.0`, `alpine:3.19`...).
    pub source: String,
    /// Digest of the platform manifest.
    pub manifest_digest: String,
    pub manifest: Value,
    /// The image config (`config.User`, `config.Env`, `history`...).
    pub config: Value,
    pub platform: Option<Platform>,
    pub layers: Vec<LayerInfo>,
    pub fs: Filesystem,
}

/// Reads blobs by digest from wherever the image lives.
trait Blobs {
    /// A small blob (manifest, config) in memory, verified.
    fn get(&mut self, digest: &str, limit: u64) -> Result<Vec<u8>, ImageError>;
    /// A layer, verified; local sources leave it on disk.
    fn layer(&mut self, digest: &str, limit: u64) -> Result<BlobData, ImageError> {
        self.get(digest, limit).map(BlobData::memory)
    }
}

/// The digest of a blob in the algorithm `like` names, hashed as it streams.
fn digest_of_data(data: &BlobData, like: &str, what: &str) -> Result<String, ImageError> {
    let unreadable = |e: std::io::Error| invalid(format!("{what}: cannot read it: {e}"));
    manifest::digest_of_reader(data.reader().map_err(unreadable)?, like).map_err(unreadable)
}

/// Hashes a file-backed blob as it streams and checks it against `digest`.
fn verify_data(data: &BlobData, digest: &str, what: &str) -> Result<(), ImageError> {
    manifest::check_algorithm(digest, what)?;
    let actual = digest_of_data(data, digest, what)?;
    if actual != digest {
        return Err(ImageError::Registry(RegistryError::new(
            ErrorKind::DigestMismatch,
            format!("{what}: the content hashes to {actual}, not {digest}; refusing it"),
        )));
    }
    Ok(())
}

fn verified(data: Vec<u8>, digest: &str, what: &str) -> Result<Vec<u8>, ImageError> {
    manifest::verify(&data, digest, what)?;
    Ok(data)
}

struct RegistryBlobs<'a> {
    registry: &'a Registry,
    repository: String,
}

impl Blobs for RegistryBlobs<'_> {
    fn get(&mut self, digest: &str, limit: u64) -> Result<Vec<u8>, ImageError> {
        Ok(self.registry.blob(
            &self.repository,
            digest,
            usize::try_from(limit).unwrap_or(usize::MAX),
        )?)
    }

    /// Layers are read from the registry cache's copy on disk when there is
    /// a cache (downloaded once, kept for later runs), verified as they are
    /// hashed; a copy that does not verify is replaced.
    fn layer(&mut self, digest: &str, limit: u64) -> Result<BlobData, ImageError> {
        let max = usize::try_from(limit).unwrap_or(usize::MAX);
        if let Some(path) = self.registry.blob_file(&self.repository, digest, max)? {
            if let Ok(data) = file_blob(&path, limit)
                && verify_data(&data, digest, "cached layer").is_ok()
            {
                return Ok(data);
            }
            let _ = std::fs::remove_file(&path);
        }
        self.get(digest, limit).map(BlobData::memory)
    }
}

struct LayoutBlobs {
    dir: PathBuf,
}

impl LayoutBlobs {
    /// `blobs/<alg>/<hex>`, refusing digests that would leave the layout.
    fn path_of(&self, digest: &str) -> Result<PathBuf, ImageError> {
        let (alg, hex) = digest
            .split_once(':')
            .filter(|(a, h)| !a.contains(['/', '.']) && !h.contains(['/', '.']))
            .ok_or_else(|| invalid(format!("`{digest}` is not a digest")))?;
        Ok(self.dir.join("blobs").join(alg).join(hex))
    }
}

impl Blobs for LayoutBlobs {
    fn get(&mut self, digest: &str, limit: u64) -> Result<Vec<u8>, ImageError> {
        let path = self.path_of(digest)?;
        let data = read_limited(&path, limit)?;
        verified(data, digest, &path.display().to_string())
    }

    fn layer(&mut self, digest: &str, limit: u64) -> Result<BlobData, ImageError> {
        let path = self.path_of(digest)?;
        let data = file_blob(&path, limit)?;
        verify_data(&data, digest, &path.display().to_string())?;
        Ok(data)
    }
}

/// A whole file as a blob read when needed, at most `limit` bytes.
fn file_blob(path: &Path, limit: u64) -> Result<BlobData, ImageError> {
    let len = std::fs::metadata(path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?
        .len();
    if len > limit {
        return Err(too_large(path, limit));
    }
    Ok(BlobData::File {
        path: Arc::new(path.to_path_buf()),
        offset: 0,
        len,
    })
}

/// `docker save` members by path (and by digest when they are named so):
/// where each one's data is in the archive file.
struct ArchiveBlobs {
    file: Arc<PathBuf>,
    members: HashMap<String, (u64, u64)>,
}

impl ArchiveBlobs {
    fn member(&self, name: &str) -> Option<BlobData> {
        self.members.get(name).map(|&(offset, len)| BlobData::File {
            path: self.file.clone(),
            offset,
            len,
        })
    }

    fn by_digest(&self, digest: &str) -> Result<BlobData, ImageError> {
        let hex = digest.split_once(':').map(|(_, h)| h).unwrap_or(digest);
        self.member(&format!("blobs/sha256/{hex}"))
            .or_else(|| self.member(digest))
            .ok_or_else(|| invalid(format!("the archive has no blob {digest}")))
    }

    /// A small member (manifest.json, a config) in memory.
    fn read(&self, name: &str, limit: u64) -> Result<Vec<u8>, ImageError> {
        let data = self
            .member(name)
            .ok_or_else(|| invalid(format!("the archive has no member {name}")))?;
        if data.len() > limit {
            return Err(invalid(format!(
                "archive member {name} is larger than {limit} bytes"
            )));
        }
        data.to_vec()
            .map_err(|e| invalid(format!("cannot read archive member {name}: {e}")))
    }
}

impl Blobs for ArchiveBlobs {
    fn get(&mut self, digest: &str, limit: u64) -> Result<Vec<u8>, ImageError> {
        let data = self.by_digest(digest)?;
        if data.len() > limit {
            return Err(invalid(format!(
                "archive blob {digest} is larger than {limit} bytes"
            )));
        }
        let bytes = data
            .to_vec()
            .map_err(|e| invalid(format!("cannot read archive blob {digest}: {e}")))?;
        verified(bytes, digest, "docker archive member")
    }

    fn layer(&mut self, digest: &str, _limit: u64) -> Result<BlobData, ImageError> {
        let data = self.by_digest(digest)?;
        verify_data(&data, digest, "docker archive member")?;
        Ok(data)
    }
}

fn too_large(path: &Path, limit: u64) -> ImageError {
    ImageError::Layer(LayerError {
        kind: crate::layers::LayerErrorKind::TooLarge,
        message: format!("{} is larger than {limit} bytes", path.display()),
    })
}

fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ImageError> {
    let f = std::fs::File::open(path)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    let mut data = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
    if data.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(data)
}

const MAX_JSON: u64 = 8 << 20;
const MAX_BLOB: u64 = 8 << 30;

fn json(data: &[u8], what: &str) -> Result<Value, ImageError> {
    serde_json::from_slice(data).map_err(|e| invalid(format!("{what} is not JSON: {e}")))
}

/// The default platform: linux on this machine's architecture.
pub fn default_platform() -> Platform {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    Platform {
        os: "linux".into(),
        architecture: arch.into(),
        variant: None,
    }
}

/// From an index, the manifest for `want`.
fn pick(
    index: &Value,
    want: &Platform,
    what: &str,
) -> Result<(String, Option<Platform>), ImageError> {
    let facts = manifest::facts(&serde_json::to_vec(index).unwrap_or_default(), None)
        .map_err(|e| invalid(format!("{what}: {e}")))?;
    let found = facts.platforms.iter().find(|p| p.platform.matches(want));
    match found {
        Some(p) => Ok((p.digest.clone(), Some(p.platform.clone()))),
        None => Err(invalid(format!(
            "{what} has no {} image (it has: {}); choose one with --platform",
            want,
            facts
                .platforms
                .iter()
                .map(|p| p.platform.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// The manifest `digest` names, or for an index the one for `want`:
/// (body, digest, platform chosen).
fn platform_manifest(
    blobs: &mut dyn Blobs,
    digest: String,
    want: &Platform,
    source: &str,
) -> Result<(Vec<u8>, String, Option<Platform>), ImageError> {
    let body = blobs.get(&digest, MAX_JSON)?;
    let parsed = json(&body, &digest)?;
    if parsed.get("manifests").is_none() {
        return Ok((body, digest, None));
    }
    let (d, p) = pick(&parsed, want, source)?;
    Ok((blobs.get(&d, MAX_JSON)?, d, p))
}

impl Image {
    /// Opens `source` for `platform` (default: linux on this architecture).
    pub fn open(
        source: &str,
        registry: Option<&Registry>,
        platform: Option<&Platform>,
        limits: Limits,
    ) -> Result<Image, ImageError> {
        let want = platform.cloned().unwrap_or_else(default_platform);
        match ImageSource::parse(source) {
            ImageSource::Registry(reference) => {
                let registry = registry.ok_or_else(|| invalid("no registry client"))?;
                Self::from_registry(source, &reference, registry, &want, limits)
            }
            ImageSource::OciLayout { dir, tag } => {
                Self::from_layout(source, &dir, tag.as_deref(), &want, limits)
            }
            ImageSource::DockerArchive(file) => Self::from_archive(source, &file, &want, limits),
            ImageSource::Sbom(file) => Err(invalid(format!(
                "{}: an SBOM lists packages and has no layers to read",
                file.display()
            ))),
        }
    }

    fn from_registry(
        source: &str,
        reference: &str,
        registry: &Registry,
        want: &Platform,
        limits: Limits,
    ) -> Result<Image, ImageError> {
        let r = crate::ImageRef::parse(reference)?;
        let top = registry.manifest(reference)?;
        let (body, digest, platform) = if manifest::is_index(&top.media_type) {
            let (d, p) = pick(&json(&top.body, reference)?, want, reference)?;
            let m = registry.manifest(&r.at_digest(&d).to_string())?;
            (m.body, m.digest, p)
        } else {
            (top.body, top.digest, None)
        };
        let mut blobs = RegistryBlobs {
            registry,
            repository: r.repository_name(),
        };
        Self::assemble(
            source,
            json(&body, reference)?,
            digest,
            platform,
            &mut blobs,
            limits,
        )
    }

    fn from_layout(
        source: &str,
        dir: &Path,
        tag: Option<&str>,
        want: &Platform,
        limits: Limits,
    ) -> Result<Image, ImageError> {
        let index_path = dir.join("index.json");
        let index = json(
            &read_limited(&index_path, MAX_JSON)?,
            &index_path.display().to_string(),
        )?;
        let mut blobs = LayoutBlobs {
            dir: dir.to_path_buf(),
        };
        let manifests = index["manifests"].as_array().cloned().unwrap_or_default();
        let chosen = match tag {
            Some(t) => manifests
                .iter()
                .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == t)
                .ok_or_else(|| invalid(format!("{} has no image tagged `{t}`", dir.display())))?,
            None if manifests.len() == 1 => &manifests[0],
            None => {
                return Err(invalid(format!(
                    "{} holds {} images; name one: oci:{}:TAG",
                    dir.display(),
                    manifests.len(),
                    dir.display()
                )));
            }
        };
        let digest = chosen["digest"]
            .as_str()
            .ok_or_else(|| invalid("index entry without digest"))?
            .to_string();
        let (body, digest, platform) = platform_manifest(&mut blobs, digest, want, source)?;
        Self::assemble(
            source,
            json(&body, source)?,
            digest,
            platform,
            &mut blobs,
            limits,
        )
    }

    fn from_archive(
        source: &str,
        file: &Path,
        want: &Platform,
        limits: Limits,
    ) -> Result<Image, ImageError> {
        let f = std::fs::File::open(file)
            .map_err(|e| invalid(format!("cannot read {}: {e}", file.display())))?;
        let archive_len = f.metadata().map(|m| m.len()).unwrap_or(0);
        // Where each member's data is; nothing is read into memory here
        // (headers only, data skipped by seeking).
        let mut members = HashMap::new();
        let mut archive = tar::Archive::new(std::io::BufReader::new(f));
        let truncated =
            |e: std::io::Error| invalid(format!("{} is not a readable tar: {e}", file.display()));
        for entry in archive.entries_with_seek().map_err(truncated)? {
            let entry = entry.map_err(truncated)?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(name) = crate::layers::normalise(&raw) else {
                return Err(ImageError::Layer(LayerError {
                    kind: crate::layers::LayerErrorKind::PathTraversal,
                    message: format!(
                        "{}: member `{raw}` climbs out of the archive",
                        file.display()
                    ),
                }));
            };
            let (offset, len) = (entry.raw_file_position(), entry.size());
            if offset.saturating_add(len) > archive_len {
                return Err(invalid(format!(
                    "{} is not a readable tar: member `{raw}` is cut short",
                    file.display()
                )));
            }
            if len > MAX_BLOB {
                return Err(too_large(file, MAX_BLOB));
            }
            members.insert(name, (offset, len));
        }
        let mut blobs = ArchiveBlobs {
            file: Arc::new(file.to_path_buf()),
            members,
        };
        // `docker save` from Docker 25+ is also an OCI layout.
        if blobs.members.contains_key("index.json") && blobs.members.contains_key("oci-layout") {
            let index = json(&blobs.read("index.json", MAX_JSON)?, "index.json")?;
            let entry = index["manifests"]
                .get(0)
                .ok_or_else(|| invalid("empty index.json"))?;
            let digest = entry["digest"].as_str().unwrap_or_default().to_string();
            let (body, digest, platform) = platform_manifest(&mut blobs, digest, want, source)?;
            return Self::assemble(
                source,
                json(&body, source)?,
                digest,
                platform,
                &mut blobs,
                limits,
            );
        }
        // The classic layout: manifest.json lists the config and layer files.
        if !blobs.members.contains_key("manifest.json") {
            return Err(invalid(format!(
                "{} has no manifest.json: not a `docker save` archive",
                file.display()
            )));
        }
        let m = json(&blobs.read("manifest.json", MAX_JSON)?, "manifest.json")?;
        let first = m.get(0).ok_or_else(|| invalid("manifest.json is empty"))?;
        let config_name = first["Config"]
            .as_str()
            .ok_or_else(|| invalid("manifest.json: no Config"))?;
        if !blobs.members.contains_key(config_name) {
            return Err(invalid(format!(
                "the archive lacks its config {config_name}"
            )));
        }
        let config = blobs.read(config_name, MAX_JSON)?;
        let mut layer_blobs = Vec::new();
        let mut infos = Vec::new();
        for l in first["Layers"].as_array().cloned().unwrap_or_default() {
            let name = l.as_str().unwrap_or_default().to_string();
            let data = blobs
                .member(&name)
                .ok_or_else(|| invalid(format!("the archive lacks layer {name}")))?;
            let digest = digest_of_data(&data, "sha256:", &name)?;
            infos.push(LayerInfo {
                digest: digest.clone(),
                media_type: "application/vnd.docker.image.rootfs.diff.tar".into(),
                size: data.len(),
            });
            layer_blobs.push(LayerBlob { digest, data });
        }
        let config_json = json(&config, config_name)?;
        check_diff_ids(&config_json, &layer_blobs)?;
        let fs = Filesystem::build(layer_blobs, limits)?;
        Ok(Image {
            source: source.to_string(),
            manifest_digest: manifest::digest_of(
                &serde_json::to_vec(&m).unwrap_or_default(),
                "sha256:",
            ),
            manifest: m,
            config: config_json,
            platform: None,
            layers: infos,
            fs,
        })
    }

    fn assemble(
        source: &str,
        manifest: Value,
        manifest_digest: String,
        platform: Option<Platform>,
        blobs: &mut dyn Blobs,
        limits: Limits,
    ) -> Result<Image, ImageError> {
        let config_digest = manifest["config"]["digest"]
            .as_str()
            .ok_or_else(|| invalid(format!("{source}: the manifest has no config")))?
            .to_string();
        let config = json(&blobs.get(&config_digest, MAX_JSON)?, "image config")?;
        let mut infos = Vec::new();
        let mut layer_blobs = Vec::new();
        for l in manifest["layers"].as_array().cloned().unwrap_or_default() {
            let digest = l["digest"]
                .as_str()
                .ok_or_else(|| invalid("a layer without digest"))?
                .to_string();
            let size = l["size"].as_u64().unwrap_or(0);
            let data = blobs.layer(&digest, MAX_BLOB.min(limits.max_layer_bytes))?;
            infos.push(LayerInfo {
                digest: digest.clone(),
                media_type: l["mediaType"].as_str().unwrap_or_default().to_string(),
                size,
            });
            layer_blobs.push(LayerBlob { digest, data });
        }
        let fs = Filesystem::build(layer_blobs, limits)?;
        Ok(Image {
            source: source.to_string(),
            manifest_digest,
            manifest,
            config,
            platform,
            layers: infos,
            fs,
        })
    }
}

/// A `docker save` layer must be what the config's `rootfs.diff_ids` says
/// (uncompressed tar digests).
fn check_diff_ids(config: &Value, blobs: &[LayerBlob]) -> Result<(), ImageError> {
    let Some(ids) = config["rootfs"]["diff_ids"].as_array() else {
        return Ok(());
    };
    for (i, (id, blob)) in ids.iter().zip(blobs).enumerate() {
        let id = id.as_str().unwrap_or_default();
        // Uncompressed layers: the blob digest is the diff id.
        let head = blob.data.read_range(0, 4).unwrap_or_default();
        if !head.starts_with(&[0x1f, 0x8b])
            && !head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
            && id != blob.digest
        {
            return Err(ImageError::Registry(RegistryError::new(
                ErrorKind::DigestMismatch,
                format!(
                    "layer {i} hashes to {}, but the config's diff_ids says {id}",
                    blob.digest
                ),
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scheme_parses_to_its_source() {
        let parse = ImageSource::parse;
        assert_eq!(
            parse("alpine:3.19"),
            ImageSource::Registry("alpine:3.19".into())
        );
        assert_eq!(
            parse("oci:./layout:1.0"),
            ImageSource::OciLayout {
                dir: "./layout".into(),
                tag: Some("1.0".into())
            }
        );
        // A `:` before the last `/` belongs to the directory.
        assert_eq!(
            parse("oci:/tmp/a:b/layout"),
            ImageSource::OciLayout {
                dir: "/tmp/a:b/layout".into(),
                tag: None
            }
        );
        assert_eq!(
            parse("docker-archive:app.tar"),
            ImageSource::DockerArchive("app.tar".into())
        );
        assert_eq!(
            parse("sbom:app.cdx.json"),
            ImageSource::Sbom("app.cdx.json".into())
        );
    }

    #[test]
    fn an_sbom_is_not_opened_as_an_image() {
        match Image::open("sbom:app.cdx.json", None, None, Limits::default()) {
            Err(ImageError::Invalid(m)) => assert!(m.contains("no layers"), "{m}"),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("an SBOM opened as an image"),
        }
    }
}
