//! The `image` and `packages` capabilities over what a `check --image` or
//! `check --sbom` call is about: an opened image, or an SBOM's package list.

use std::sync::{Arc, OnceLock};

use plimsoll_host::{HostError, ImageEntry, ImageEntryKind, ImageLayer, ImageView};
use plimsoll_oci::{Entry, Filesystem, Image, Kind, LayerError, LayerErrorKind};
use plimsoll_packages::Inventory;

struct FsFiles<'a>(&'a Filesystem);

/// A read that found nothing is `None`; one that found something it could
/// not read is an error naming the path.
fn found<T>(path: &str, r: Result<T, LayerError>) -> Result<Option<T>, String> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind == LayerErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read /{path}: {e}")),
    }
}

impl plimsoll_packages::Files for FsFiles<'_> {
    fn read(&self, path: &str) -> Result<Option<String>, String> {
        found(path, self.0.read_file(path, 64 << 20))
            .map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        self.0
            .glob(pattern)
            .map(|v| v.into_iter().map(|e| e.path.clone()).collect())
            .unwrap_or_default()
    }

    fn executables(&self, min_size: u64) -> Vec<String> {
        self.0
            .glob("**")
            .map(|v| {
                v.into_iter()
                    .filter(|e| e.kind == Kind::File && e.mode & 0o111 != 0 && e.size >= min_size)
                    .map(|e| e.path.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn read_bytes(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, String> {
        found(path, self.0.read_file(path, max)).map(|b| b.map(owned))
    }

    fn rpm_headers(&self, path: &str) -> Option<Vec<Vec<u8>>> {
        if !path.ends_with(".sqlite") {
            return None;
        }
        let db = self.0.read_file(path, MAX_RPMDB).ok()?;
        let wal = self.0.read_file(&format!("{path}-wal"), MAX_RPMDB).ok();
        rpmdb_headers(&db, wal.as_deref().map(|w| w.as_slice()))
            .map_err(|e| tracing::warn!("/{path}: cannot read the RPM database: {e}"))
            .ok()
    }
}

/// The largest RPM database (or write-ahead log) read.
const MAX_RPMDB: u64 = 512 << 20;
/// Most packages one RPM database may list.
const MAX_RPM_PACKAGES: usize = 100_000;

/// The `Packages` blobs of an `rpmdb.sqlite` (and its write-ahead log, which
/// SQLite replays on open): copied to a private temporary directory, since
/// SQLite reads files, and opened there. A corrupt or hostile database is an
/// error from SQLite, never a crash.
fn rpmdb_headers(db: &[u8], wal: Option<&[u8]>) -> Result<Vec<Vec<u8>>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("rpmdb.sqlite");
    std::fs::write(&file, db).map_err(|e| e.to_string())?;
    if let Some(w) = wal {
        std::fs::write(dir.path().join("rpmdb.sqlite-wal"), w).map_err(|e| e.to_string())?;
    }
    let conn = rusqlite::Connection::open(&file).map_err(|e| e.to_string())?;
    let mut stmt = conn
        .prepare("SELECT blob FROM Packages")
        .map_err(|e| e.to_string())?;
    let rows = stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for row in rows {
        if out.len() >= MAX_RPM_PACKAGES {
            return Err(format!("more than {MAX_RPM_PACKAGES} packages"));
        }
        out.push(row.map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// The bytes of a read, copied only when the reader keeps them too (small
/// files kept in memory); a fresh read is handed over as it is.
fn owned(data: Arc<Vec<u8>>) -> Vec<u8> {
    Arc::try_unwrap(data).unwrap_or_else(|shared| shared.as_ref().clone())
}

/// An image's installed packages (what `plimsoll sbom` writes and the
/// `packages` capability answers), or why they could not be read.
pub fn inventory(image: &Image) -> Result<Inventory, String> {
    plimsoll_packages::collect(&FsFiles(&image.fs))
}

/// Read once per image, shared by every plugin that asks.
pub type SharedInventory = Arc<OnceLock<Result<Inventory, String>>>;

/// An opened image, its package inventory read once for every plugin.
pub struct View {
    image: Arc<Image>,
    inventory: SharedInventory,
}

impl View {
    pub fn new(image: Arc<Image>, inventory: SharedInventory) -> View {
        View { image, inventory }
    }
}

/// An SBOM given to `check --sbom`: packages, and no filesystem.
pub struct SbomView(pub Arc<Inventory>);

impl ImageView for SbomView {
    fn config(&self) -> String {
        "{}".into()
    }
    fn manifest(&self) -> String {
        "{}".into()
    }
    fn layers(&self) -> Vec<ImageLayer> {
        Vec::new()
    }
    fn read_file(&self, path: &str, _max: u64) -> Result<Vec<u8>, HostError> {
        Err(no_files(path))
    }
    fn list_dir(&self, path: &str) -> Result<Vec<ImageEntry>, HostError> {
        Err(no_files(path))
    }
    fn glob(&self, pattern: &str, _limit: usize) -> Result<Vec<ImageEntry>, HostError> {
        Err(no_files(pattern))
    }
    fn layer_entries(&self, _layer: u32, _limit: usize) -> Result<Vec<ImageEntry>, HostError> {
        Err(no_files("layers"))
    }
    fn read_layer_file(&self, _layer: u32, path: &str, _max: u64) -> Result<Vec<u8>, HostError> {
        Err(no_files(path))
    }
    fn inventory(&self) -> Result<Inventory, HostError> {
        Ok((*self.0).clone())
    }
}

fn no_files(what: &str) -> HostError {
    HostError::NotFound(format!("{what}: an SBOM lists packages; it has no files"))
}

fn host_error(e: LayerError) -> HostError {
    match e.kind {
        LayerErrorKind::NotFound => HostError::NotFound(e.message),
        LayerErrorKind::TooLarge | LayerErrorKind::NotAFile => HostError::InvalidInput(e.message),
        LayerErrorKind::SymlinkEscape | LayerErrorKind::PathTraversal => {
            HostError::Denied(e.message)
        }
        _ => HostError::Other(e.message),
    }
}

fn entry(e: &Entry) -> ImageEntry {
    let (kind, link_target) = match &e.kind {
        Kind::File => (ImageEntryKind::File, None),
        Kind::Dir => (ImageEntryKind::Directory, None),
        Kind::Symlink(t) => (ImageEntryKind::Symlink, Some(t.clone())),
        Kind::Hardlink(t) => (ImageEntryKind::Hardlink, Some(t.clone())),
        Kind::Other => (ImageEntryKind::Other, None),
    };
    ImageEntry {
        path: e.path.clone(),
        kind,
        size: e.size,
        mode: e.mode,
        layer: e.layer as u32,
        link_target,
        hidden_by: e.hidden_by.map(|l| l as u32),
    }
}

impl ImageView for View {
    fn config(&self) -> String {
        self.image.config.to_string()
    }

    fn manifest(&self) -> String {
        self.image.manifest.to_string()
    }

    fn layers(&self) -> Vec<ImageLayer> {
        self.image
            .layers
            .iter()
            .zip(&self.image.fs.layers)
            .map(|(info, stats)| ImageLayer {
                digest: info.digest.clone(),
                media_type: info.media_type.clone(),
                size: stats.compressed,
                uncompressed_size: stats.uncompressed,
                entries: u32::try_from(stats.entries).unwrap_or(u32::MAX),
            })
            .collect()
    }

    fn read_file(&self, path: &str, max: u64) -> Result<Vec<u8>, HostError> {
        self.image
            .fs
            .read_file(path, max)
            .map(owned)
            .map_err(host_error)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<ImageEntry>, HostError> {
        Ok(self
            .image
            .fs
            .list_dir(path)
            .map_err(host_error)?
            .into_iter()
            .map(entry)
            .collect())
    }

    fn glob(&self, pattern: &str, limit: usize) -> Result<Vec<ImageEntry>, HostError> {
        Ok(self
            .image
            .fs
            .glob(pattern)
            .map_err(|e| HostError::InvalidInput(e.message))?
            .into_iter()
            .take(limit)
            .map(entry)
            .collect())
    }

    fn layer_entries(&self, layer: u32, limit: usize) -> Result<Vec<ImageEntry>, HostError> {
        if layer as usize >= self.image.fs.layers.len() {
            return Err(HostError::NotFound(format!(
                "the image has {} layers; there is no layer {layer}",
                self.image.fs.layers.len()
            )));
        }
        Ok(self
            .image
            .fs
            .entries
            .iter()
            .filter(|e| e.layer == layer as usize)
            .take(limit)
            .map(entry)
            .collect())
    }

    fn inventory(&self) -> Result<Inventory, HostError> {
        self.inventory
            .get_or_init(|| inventory(&self.image))
            .clone()
            .map_err(HostError::Other)
    }

    fn read_layer_file(&self, layer: u32, path: &str, max: u64) -> Result<Vec<u8>, HostError> {
        let wanted = plimsoll_oci::layers::normalise(path)
            .ok_or_else(|| HostError::Denied(format!("`{path}` climbs out of the image root")))?;
        let e = self
            .image
            .fs
            .entries
            .iter()
            .find(|e| e.layer == layer as usize && e.path == wanted && e.kind == Kind::File)
            .ok_or_else(|| HostError::NotFound(format!("layer {layer} wrote no file `{path}`")))?;
        self.image
            .fs
            .read_entry(e, max)
            .map(owned)
            .map_err(host_error)
    }
}
