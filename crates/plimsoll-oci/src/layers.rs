//! Image layers as one filesystem: each layer tar is streamed once
//! (decompressed from gzip or zstd, bounded in size and ratio), whiteouts
//! and opaque directories applied, and every entry of every layer remembered
//! — including files a later layer deletes, which are still in the image a
//! registry serves (and where leaked keys hide). Small files are kept in
//! memory as they stream past; larger ones of a compressed layer are read
//! from that layer decompressed once into a temporary file on first need.
//!
//! Work is bounded per image: decompressed bytes, entries, name lengths,
//! hard-link hops; whiteouts cost linear time.
//!
//! Hostile layers are refused with a named [`LayerErrorKind`]: `..` in entry
//! names, entries written through a symlink, symlinks that resolve outside
//! the image root, decompression bombs, truncated streams, too many entries.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Arc;

/// Why a layer or a path inside the image was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerErrorKind {
    /// An entry name climbs out of the image root (`../etc/passwd`).
    PathTraversal,
    /// An entry would be written through a symlink, or a symlink resolves
    /// outside the image root.
    SymlinkEscape,
    /// Decompressed size beyond the limit or the ratio to the compressed size.
    DecompressionBomb,
    /// The compressed stream or the tar ends early or is corrupt.
    Truncated,
    /// More entries, or a bigger layer, than the limits allow.
    TooLarge,
    /// Not a tar, gzip or zstd stream plimsoll can read.
    Unsupported,
    /// The path does not exist in the image.
    NotFound,
    /// The path is a directory, a device, or a symlink loop.
    NotAFile,
    /// This machine could not hold a layer for reading (temporary files).
    Io,
}

impl LayerErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerErrorKind::PathTraversal => "path-traversal",
            LayerErrorKind::SymlinkEscape => "symlink-escape",
            LayerErrorKind::DecompressionBomb => "decompression-bomb",
            LayerErrorKind::Truncated => "truncated-layer",
            LayerErrorKind::TooLarge => "layer-too-large",
            LayerErrorKind::Unsupported => "unsupported-layer",
            LayerErrorKind::NotFound => "not-found",
            LayerErrorKind::NotAFile => "not-a-file",
            LayerErrorKind::Io => "layer-io",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LayerError {
    pub kind: LayerErrorKind,
    pub message: String,
}

impl LayerError {
    fn new(kind: LayerErrorKind, message: impl Into<String>) -> LayerError {
        LayerError {
            kind,
            message: message.into(),
        }
    }
}

/// Bounds on what one image may make plimsoll read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Decompressed bytes of one layer.
    pub max_layer_bytes: u64,
    /// Decompressed / compressed, beyond a floor of 64 MiB.
    pub max_ratio: u64,
    /// Entries over all layers.
    pub max_entries: usize,
    /// Files up to this size are kept in memory as they stream past.
    pub keep_file_bytes: u64,
    /// ...up to this much in total.
    pub keep_total_bytes: u64,
    /// Longest entry name (bytes; Linux's PATH_MAX).
    pub max_path_bytes: usize,
    /// Entry names over all layers, in bytes (default 64 MiB: over half a
    /// million entries of typical names): long names cost memory in every
    /// index of the image.
    pub max_total_path_bytes: u64,
    /// Hard links followed to reach a file.
    pub max_link_hops: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_layer_bytes: 16 << 30,
            max_ratio: 200,
            max_entries: 2_000_000,
            keep_file_bytes: 1 << 20,
            keep_total_bytes: 256 << 20,
            max_path_bytes: 4096,
            max_total_path_bytes: 64 << 20,
            max_link_hops: 40,
        }
    }
}

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink(String),
    /// A hard link to another path (normalised, no leading `/`).
    Hardlink(String),
    /// Device, FIFO or anything else.
    Other,
}

/// One entry of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Normalised: no leading `/` or `./`, no `..`; `""` is the root.
    pub path: String,
    /// 0-based layer index.
    pub layer: usize,
    pub kind: Kind,
    pub size: u64,
    pub mode: u32,
    /// The layer that deleted (whiteout) or replaced this entry, if any.
    pub hidden_by: Option<usize>,
}

/// A layer's compressed bytes, kept to read large files again.
#[derive(Clone)]
pub struct LayerBlob {
    pub digest: String,
    pub data: BlobData,
}

/// Where a blob's bytes are: in memory (fetched from a registry), or a
/// range of a local file (an OCI layout's blob, a `docker save` member),
/// read when needed so that a large archive is never held in memory.
#[derive(Clone)]
pub enum BlobData {
    Memory(Arc<Vec<u8>>),
    File {
        path: Arc<std::path::PathBuf>,
        offset: u64,
        len: u64,
    },
}

impl BlobData {
    pub fn memory(data: Vec<u8>) -> BlobData {
        BlobData::Memory(Arc::new(data))
    }

    pub fn len(&self) -> u64 {
        match self {
            BlobData::Memory(d) => d.len() as u64,
            BlobData::File { len, .. } => *len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes from the start, streamed.
    pub fn reader(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(match self {
            BlobData::Memory(d) => Box::new(d.as_slice()),
            BlobData::File { path, offset, len } => {
                use std::io::{Seek, SeekFrom};
                let mut f = std::fs::File::open(path.as_ref())?;
                f.seek(SeekFrom::Start(*offset))?;
                Box::new(std::io::BufReader::with_capacity(256 << 10, f.take(*len)))
            }
        })
    }

    /// `len` bytes from `start` (clamped to the blob).
    pub fn read_range(&self, start: u64, len: u64) -> std::io::Result<Vec<u8>> {
        let end = start.saturating_add(len).min(self.len());
        let start = start.min(end);
        match self {
            BlobData::Memory(d) => Ok(d[start as usize..end as usize].to_vec()),
            BlobData::File { path, offset, .. } => {
                use std::io::{Seek, SeekFrom};
                let mut f = std::fs::File::open(path.as_ref())?;
                f.seek(SeekFrom::Start(offset + start))?;
                let mut out = vec![0u8; (end - start) as usize];
                f.read_exact(&mut out)?;
                Ok(out)
            }
        }
    }

    /// The whole blob in memory (small blobs: manifests, configs).
    pub fn to_vec(&self) -> std::io::Result<Vec<u8>> {
        match self {
            BlobData::Memory(d) => Ok(d.as_ref().clone()),
            BlobData::File { .. } => self.read_range(0, self.len()),
        }
    }
}

/// Per-layer facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerStats {
    pub digest: String,
    pub compressed: u64,
    pub uncompressed: u64,
    pub entries: usize,
}

/// The merged filesystem of an image.
pub struct Filesystem {
    /// Every entry of every layer, in order.
    pub entries: Vec<Entry>,
    /// Path → index into `entries` of what is visible there.
    visible: BTreeMap<String, usize>,
    /// (layer, path) → contents, for files small enough to keep.
    kept: HashMap<(usize, String), Arc<Vec<u8>>>,
    /// (layer, path) → byte range of the contents inside an uncompressed
    /// layer blob: read in place, nothing copied.
    in_place: HashMap<(usize, String), (usize, usize)>,
    kept_total: u64,
    blobs: Vec<LayerBlob>,
    pub layers: Vec<LayerStats>,
    limits: Limits,
    /// The layer being applied: its entries so far, by path. Kept apart from
    /// `visible` (the layers below) until the layer ends, so that its
    /// whiteouts scan only lower layers and each lower entry is hidden at
    /// most once: whiteouts cost linear time, whatever their order.
    current: BTreeMap<String, usize>,
    /// Bytes of entry names so far.
    path_bytes: u64,
    /// Per layer, its tar decompressed once to a temporary file with the
    /// offsets of its files: what re-reads of large files use, so reading
    /// many files of a compressed layer costs one decompression, not one
    /// per file.
    spools: Vec<std::sync::OnceLock<Result<Arc<Spool>, LayerError>>>,
}

/// A layer's tar, decompressed to a temporary file (deleted when dropped).
struct Spool {
    file: tempfile::NamedTempFile,
    files: HashMap<String, (u64, u64)>,
}

/// Normalises a tar entry name; `None` when it climbs out of the root.
pub fn normalise(raw: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in raw.split('/') {
        match c {
            "" | "." => {}
            ".." => return None,
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(p, _)| p).unwrap_or("")
}

/// Reads with a budget; `Err` tells a bomb from an ordinary read error.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
    /// The decompressor itself failed (a cut or corrupt compressed stream).
    failed: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf).inspect_err(|_| self.failed = true)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(std::io::Error::other(BOMB));
        }
        Ok(n)
    }
}

const BOMB: &str = "plimsoll: decompressed size limit";

fn is_compressed(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b]) || bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd])
}

/// A decompressing reader for a layer blob, chosen by its magic bytes.
fn open_layer<'a>(
    blob: &'a LayerBlob,
    layer: usize,
    limit: u64,
) -> Result<Bounded<Box<dyn Read + 'a>>, LayerError> {
    let unreadable = |e: std::io::Error| {
        LayerError::new(
            LayerErrorKind::Truncated,
            format!("layer {layer} ({}): cannot read it: {e}", blob.digest),
        )
    };
    let head = blob.data.read_range(0, 4).map_err(unreadable)?;
    let bytes = blob.data.reader().map_err(unreadable)?;
    let inner: Box<dyn Read + 'a> = if head.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(bytes))
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Box::new(
            zstd::stream::read::Decoder::new(bytes)
                .map_err(|e| LayerError::new(LayerErrorKind::Unsupported, format!("zstd: {e}")))?,
        )
    } else {
        bytes
    };
    Ok(Bounded {
        inner,
        read: 0,
        limit,
        failed: false,
    })
}

fn stream_error(e: &std::io::Error, layer: usize, digest: &str, limit: u64) -> LayerError {
    if e.to_string().contains(BOMB) {
        return LayerError::new(
            LayerErrorKind::DecompressionBomb,
            format!(
                "layer {layer} ({digest}) decompresses to more than {limit} bytes; refusing it (a decompression bomb, or raise the limit)"
            ),
        );
    }
    LayerError::new(
        LayerErrorKind::Truncated,
        format!("layer {layer} ({digest}) is truncated or corrupt: {e}"),
    )
}

impl Filesystem {
    /// Builds the merged view from layer blobs, bottom first.
    pub fn build(blobs: Vec<LayerBlob>, limits: Limits) -> Result<Filesystem, LayerError> {
        let mut fs = Filesystem {
            entries: Vec::new(),
            visible: BTreeMap::new(),
            kept: HashMap::new(),
            in_place: HashMap::new(),
            kept_total: 0,
            blobs: Vec::new(),
            layers: Vec::new(),
            limits,
            current: BTreeMap::new(),
            path_bytes: 0,
            spools: Vec::new(),
        };
        for (i, blob) in blobs.into_iter().enumerate() {
            fs.apply(i, &blob)?;
            // The layer's entries now cover the layers below.
            let current = std::mem::take(&mut fs.current);
            fs.visible.extend(current);
            fs.blobs.push(blob);
            fs.spools.push(std::sync::OnceLock::new());
        }
        Ok(fs)
    }

    fn layer_limit(&self, compressed: u64) -> u64 {
        self.limits.max_layer_bytes.min(
            compressed
                .saturating_mul(self.limits.max_ratio)
                .max(64 << 20),
        )
    }

    fn apply(&mut self, layer: usize, blob: &LayerBlob) -> Result<(), LayerError> {
        let digest = blob.digest.as_str();
        let limit = self.layer_limit(blob.data.len());
        let plain = !is_compressed(&blob.data.read_range(0, 4).unwrap_or_default());
        let reader = open_layer(blob, layer, limit)?;
        let mut archive = tar::Archive::new(reader);
        let mut count = 0usize;
        let entries_before = self.entries.len();
        let mut entries = archive
            .entries()
            .map_err(|e| stream_error(&e, layer, digest, limit))?;
        // Where the last entry's data ends in the decompressed stream.
        let mut data_end = 0u64;
        let mut failure = None;
        loop {
            let mut entry = match entries.next() {
                None => break,
                Some(Ok(e)) => e,
                Some(Err(e)) => {
                    failure = Some(e);
                    break;
                }
            };
            data_end = entry.raw_file_position() + entry.header().size().unwrap_or(0);
            count += 1;
            if entries_before + count > self.limits.max_entries {
                return Err(LayerError::new(
                    LayerErrorKind::TooLarge,
                    format!(
                        "layer {layer} ({digest}): more than {} entries in the image",
                        self.limits.max_entries
                    ),
                ));
            }
            let raw_bytes = entry.path_bytes();
            self.path_bytes += raw_bytes.len() as u64;
            if raw_bytes.len() > self.limits.max_path_bytes
                || self.path_bytes > self.limits.max_total_path_bytes
            {
                return Err(LayerError::new(
                    LayerErrorKind::TooLarge,
                    format!(
                        "layer {layer} ({digest}): entry names longer than {} bytes, or more than {} MiB of names in the image; refusing it",
                        self.limits.max_path_bytes,
                        self.limits.max_total_path_bytes >> 20
                    ),
                ));
            }
            let raw = String::from_utf8_lossy(&raw_bytes).into_owned();
            let Some(path) = normalise(&raw) else {
                return Err(LayerError::new(
                    LayerErrorKind::PathTraversal,
                    format!("layer {layer} ({digest}): entry `{raw}` climbs out of the image root"),
                ));
            };
            let name = path.rsplit('/').next().unwrap_or("");
            if let Some(hidden) = name.strip_prefix(".wh.") {
                let dir = parent(&path).to_string();
                if hidden == ".wh..opq" {
                    self.hide_below(&dir, layer, false);
                } else {
                    let target = if dir.is_empty() {
                        hidden.to_string()
                    } else {
                        format!("{dir}/{hidden}")
                    };
                    self.hide_below(&target, layer, true);
                }
                continue;
            }
            self.check_parents(&path, layer, digest)?;
            let header = entry.header();
            let mode = header.mode().unwrap_or(0o644);
            let size = header.size().unwrap_or(0);
            let kind = match header.entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => Kind::File,
                tar::EntryType::Directory => Kind::Dir,
                tar::EntryType::Symlink => Kind::Symlink(
                    entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default(),
                ),
                tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    match normalise(&target) {
                        Some(t) => Kind::Hardlink(t),
                        None => {
                            return Err(LayerError::new(
                                LayerErrorKind::PathTraversal,
                                format!(
                                    "layer {layer} ({digest}): hard link `{raw}` points out of the image root (`{target}`)"
                                ),
                            ));
                        }
                    }
                }
                _ => Kind::Other,
            };
            if kind == Kind::File && plain {
                let start = entry.raw_file_position() as usize;
                if (start as u64).saturating_add(size) <= blob.data.len() {
                    self.in_place
                        .insert((layer, path.clone()), (start, size as usize));
                }
            } else if kind == Kind::File
                && size > 0
                && size <= self.limits.keep_file_bytes
                && self.kept_total + size <= self.limits.keep_total_bytes
            {
                let mut data = Vec::with_capacity(size as usize);
                entry
                    .read_to_end(&mut data)
                    .map_err(|e| stream_error(&e, layer, digest, limit))?;
                self.kept_total += data.len() as u64;
                self.kept.insert((layer, path.clone()), Arc::new(data));
            }
            self.insert(Entry {
                path,
                layer,
                kind,
                size,
                mode,
                hidden_by: None,
            });
        }
        let mut rest = archive.into_inner();
        match failure {
            // The stream ends inside the last entry's padding or before the
            // end-of-archive blocks, with the compressed stream intact and
            // every byte of data there: some writers stop there, and
            // Docker reads such layers. Anything else is truncation.
            Some(e)
                if (e.kind() == std::io::ErrorKind::UnexpectedEof
                    || e.to_string().contains("unexpected EOF"))
                    && !rest.failed
                    && rest.read >= data_end => {}
            Some(e) => return Err(stream_error(&e, layer, digest, limit)),
            None => {
                // Drain what is left (tar padding) so truncation is noticed.
                std::io::copy(&mut rest, &mut std::io::sink())
                    .map_err(|e| stream_error(&e, layer, digest, limit))?;
            }
        }
        self.layers.push(LayerStats {
            digest: digest.to_string(),
            compressed: blob.data.len(),
            uncompressed: rest.read,
            entries: count,
        });
        Ok(())
    }

    /// Refuses an entry whose parent directories include a symlink (a tar
    /// writing `link/passwd` after `link -> /etc`).
    fn check_parents(&self, path: &str, layer: usize, digest: &str) -> Result<(), LayerError> {
        let mut p = parent(path);
        while !p.is_empty() {
            if let Some(&i) = self.current.get(p).or_else(|| self.visible.get(p))
                && let Kind::Symlink(target) = &self.entries[i].kind
            {
                return Err(LayerError::new(
                    LayerErrorKind::SymlinkEscape,
                    format!(
                        "layer {layer} ({digest}): entry `{path}` is written through the symlink `{p}` -> `{target}`; refusing it"
                    ),
                ));
            }
            p = parent(p);
        }
        Ok(())
    }

    /// Adds an entry of the layer being applied. A directory over a
    /// directory merges; anything else replaces what was there, and a
    /// non-directory over a directory hides everything below it in the
    /// layers beneath.
    fn insert(&mut self, e: Entry) {
        let layer = e.layer;
        let is_dir = e.kind == Kind::Dir;
        if let Some(old) = self.current.get(&e.path).copied() {
            // The same path twice in one layer: the later one wins.
            self.entries[old].hidden_by = Some(layer);
        }
        if let Some(old) = self.visible.remove(&e.path) {
            let old_is_dir = self.entries[old].kind == Kind::Dir;
            self.entries[old].hidden_by = Some(layer);
            if old_is_dir && !is_dir {
                self.hide_below(&e.path, layer, false);
            }
        }
        let path = e.path.clone();
        self.entries.push(e);
        self.current.insert(path, self.entries.len() - 1);
    }

    /// Hides what the layers below have under `path` (and `path` itself
    /// when `itself`). `visible` holds only lower layers while a layer is
    /// applied, so every entry this removes is gone for good: over a whole
    /// image each entry is removed at most once.
    fn hide_below(&mut self, path: &str, layer: usize, itself: bool) {
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let below: Vec<String> = self
            .visible
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in below {
            if let Some(i) = self.visible.remove(&k) {
                self.entries[i].hidden_by = Some(layer);
            }
        }
        if itself && let Some(i) = self.visible.remove(path) {
            self.entries[i].hidden_by = Some(layer);
        }
    }

    /// What is visible at `path` (not following a final symlink).
    pub fn lookup(&self, path: &str) -> Option<&Entry> {
        let p = normalise(path)?;
        self.visible.get(&p).map(|&i| &self.entries[i])
    }

    /// Resolves symlinks inside the image root (absolute targets start from
    /// the image root, as inside a container); a target that climbs above
    /// the root is refused.
    pub fn resolve(&self, path: &str) -> Result<String, LayerError> {
        let mut pending: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .rev()
            .collect();
        let mut done: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(c) = pending.pop() {
            if c == ".." {
                if done.pop().is_none() {
                    return Err(LayerError::new(
                        LayerErrorKind::SymlinkEscape,
                        format!("`{path}` resolves above the image root"),
                    ));
                }
                continue;
            }
            done.push(c);
            let here = done.join("/");
            if let Some(&i) = self.visible.get(&here)
                && let Kind::Symlink(target) = &self.entries[i].kind
            {
                hops += 1;
                if hops > 40 {
                    return Err(LayerError::new(
                        LayerErrorKind::NotAFile,
                        format!("`{path}`: too many levels of symbolic links"),
                    ));
                }
                done.pop();
                if target.starts_with('/') {
                    done.clear();
                }
                pending.extend(
                    target
                        .split('/')
                        .filter(|c| !c.is_empty() && *c != ".")
                        .rev()
                        .map(str::to_string),
                );
            }
        }
        Ok(done.join("/"))
    }

    /// The contents of the regular file at `path` in the merged view
    /// (symlinks and hard links followed), at most `max` bytes.
    pub fn read_file(&self, path: &str, max: u64) -> Result<Arc<Vec<u8>>, LayerError> {
        // Hard links are followed in a loop with a visited set: a cycle
        // (`a` -> `b` -> `a`) is a named error, not a stack overflow.
        let mut seen = std::collections::HashSet::new();
        let mut at = path.to_string();
        loop {
            let resolved = self.resolve(&at)?;
            let Some(&i) = self.visible.get(&resolved) else {
                return Err(LayerError::new(
                    LayerErrorKind::NotFound,
                    format!("`{path}` is not in the image"),
                ));
            };
            let e = &self.entries[i];
            match &e.kind {
                Kind::File => return self.read_entry(e, max),
                Kind::Hardlink(t) => {
                    if !seen.insert(resolved) || seen.len() > self.limits.max_link_hops {
                        return Err(LayerError::new(
                            LayerErrorKind::NotAFile,
                            format!(
                                "`{path}`: hard links form a cycle or a chain longer than {} (at `{t}`)",
                                self.limits.max_link_hops
                            ),
                        ));
                    }
                    at = t.clone();
                }
                _ => {
                    return Err(LayerError::new(
                        LayerErrorKind::NotAFile,
                        format!("`{path}` is not a regular file"),
                    ));
                }
            }
        }
    }

    /// The contents of one entry of one layer (visible or not).
    pub fn read_entry(&self, e: &Entry, max: u64) -> Result<Arc<Vec<u8>>, LayerError> {
        if e.size > max {
            return Err(LayerError::new(
                LayerErrorKind::TooLarge,
                format!("`{}` is {} bytes; the limit is {max}", e.path, e.size),
            ));
        }
        if e.size == 0 && e.kind == Kind::File {
            return Ok(Arc::new(Vec::new()));
        }
        if let Some(d) = self.kept.get(&(e.layer, e.path.clone())) {
            return Ok(d.clone());
        }
        if let Some(&(start, len)) = self.in_place.get(&(e.layer, e.path.clone())) {
            return self.blobs[e.layer]
                .data
                .read_range(start as u64, len as u64)
                .map(Arc::new)
                .map_err(|err| {
                    LayerError::new(
                        LayerErrorKind::Truncated,
                        format!("`{}` in layer {}: cannot read it: {err}", e.path, e.layer),
                    )
                });
        }
        // Read it from the layer's spool (decompressed once, on first need).
        let spool = self.spools[e.layer]
            .get_or_init(|| self.spool(e.layer).map(Arc::new))
            .clone()?;
        let Some(&(start, len)) = spool.files.get(&e.path) else {
            return Err(LayerError::new(
                LayerErrorKind::NotFound,
                format!("`{}` vanished from layer {}", e.path, e.layer),
            ));
        };
        let mut data = vec![0; len as usize];
        std::os::unix::fs::FileExt::read_exact_at(spool.file.as_file(), &mut data, start).map_err(
            |err| {
                LayerError::new(
                    LayerErrorKind::Truncated,
                    format!("`{}` in layer {}: cannot read it: {err}", e.path, e.layer),
                )
            },
        )?;
        Ok(Arc::new(data))
    }

    /// Decompresses a layer once into a temporary file and indexes where
    /// each regular file's contents are (the last entry of a path wins).
    fn spool(&self, layer: usize) -> Result<Spool, LayerError> {
        let blob = &self.blobs[layer];
        let limit = self.layer_limit(blob.data.len());
        let io = |err: std::io::Error| {
            LayerError::new(
                LayerErrorKind::Io,
                format!("layer {layer}: cannot spool it to a temporary file: {err}"),
            )
        };
        let mut file = tempfile::NamedTempFile::new().map_err(io)?;
        let mut reader = open_layer(blob, layer, limit)?;
        std::io::copy(&mut reader, file.as_file_mut())
            .map_err(|err| stream_error(&err, layer, &blob.digest, limit))?;
        let mut files = HashMap::new();
        let mut archive = tar::Archive::new(std::io::BufReader::new(file.reopen().map_err(io)?));
        let entries = archive
            .entries()
            .map_err(|err| stream_error(&err, layer, &blob.digest, limit))?;
        for entry in entries {
            // The layer streamed whole once already; a tail error here is
            // the same tolerated end as there.
            let Ok(entry) = entry else { break };
            if matches!(
                entry.header().entry_type(),
                tar::EntryType::Regular | tar::EntryType::Continuous
            ) {
                let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                if let Some(p) = normalise(&raw) {
                    files.insert(p, (entry.raw_file_position(), entry.size()));
                }
            }
        }
        Ok(Spool { file, files })
    }

    /// The visible entries directly inside directory `path`.
    pub fn list_dir(&self, path: &str) -> Result<Vec<&Entry>, LayerError> {
        let dir = self.resolve(path)?;
        if !dir.is_empty() {
            match self.visible.get(&dir).map(|&i| &self.entries[i].kind) {
                Some(Kind::Dir) => {}
                Some(_) => {
                    return Err(LayerError::new(
                        LayerErrorKind::NotAFile,
                        format!("`{path}` is not a directory"),
                    ));
                }
                // Implied directories (a tar without directory entries).
                None if !self
                    .visible
                    .keys()
                    .any(|k| k.starts_with(&format!("{dir}/"))) =>
                {
                    return Err(LayerError::new(
                        LayerErrorKind::NotFound,
                        format!("`{path}` is not in the image"),
                    ));
                }
                None => {}
            }
        }
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        Ok(self
            .visible
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/') && k.len() > prefix.len())
            .map(|(_, &i)| &self.entries[i])
            .collect())
    }

    /// Visible paths matching a glob (`**` crosses `/`; a leading `/` is
    /// ignored), in order.
    pub fn glob(&self, pattern: &str) -> Result<Vec<&Entry>, LayerError> {
        let g = globset::GlobBuilder::new(pattern.trim_start_matches('/'))
            .literal_separator(true)
            .build()
            .map_err(|e| {
                LayerError::new(
                    LayerErrorKind::NotFound,
                    format!("bad glob `{pattern}`: {e}"),
                )
            })?
            .compile_matcher();
        Ok(self
            .visible
            .iter()
            .filter(|(k, _)| g.is_match(k.as_str()))
            .map(|(_, &i)| &self.entries[i])
            .collect())
    }

    /// Every visible entry, in path order.
    pub fn visible(&self) -> impl Iterator<Item = &Entry> {
        self.visible.values().map(|&i| &self.entries[i])
    }
}
