//! The `image` capability over an opened image: what plugins granted
//! `image` see of the image a `check --image` call is about.

use std::sync::Arc;

use plimsoll_host::{HostError, ImageEntry, ImageEntryKind, ImageLayer, ImageView};
use plimsoll_oci::{Entry, Image, Kind, LayerError, LayerErrorKind};

pub struct View(pub Arc<Image>);

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
        self.0.config.to_string()
    }

    fn manifest(&self) -> String {
        self.0.manifest.to_string()
    }

    fn layers(&self) -> Vec<ImageLayer> {
        self.0
            .layers
            .iter()
            .zip(&self.0.fs.layers)
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
        self.0
            .fs
            .read_file(path, max)
            .map(|d| d.to_vec())
            .map_err(host_error)
    }

    fn list_dir(&self, path: &str) -> Result<Vec<ImageEntry>, HostError> {
        Ok(self
            .0
            .fs
            .list_dir(path)
            .map_err(host_error)?
            .into_iter()
            .map(entry)
            .collect())
    }

    fn glob(&self, pattern: &str, limit: usize) -> Result<Vec<ImageEntry>, HostError> {
        Ok(self
            .0
            .fs
            .glob(pattern)
            .map_err(|e| HostError::InvalidInput(e.message))?
            .into_iter()
            .take(limit)
            .map(entry)
            .collect())
    }

    fn layer_entries(&self, layer: u32, limit: usize) -> Result<Vec<ImageEntry>, HostError> {
        if layer as usize >= self.0.fs.layers.len() {
            return Err(HostError::NotFound(format!(
                "the image has {} layers; there is no layer {layer}",
                self.0.fs.layers.len()
            )));
        }
        Ok(self
            .0
            .fs
            .entries
            .iter()
            .filter(|e| e.layer == layer as usize)
            .take(limit)
            .map(entry)
            .collect())
    }

    fn read_layer_file(&self, layer: u32, path: &str, max: u64) -> Result<Vec<u8>, HostError> {
        let wanted = plimsoll_oci::layers::normalise(path)
            .ok_or_else(|| HostError::Denied(format!("`{path}` climbs out of the image root")))?;
        let e = self
            .0
            .fs
            .entries
            .iter()
            .find(|e| e.layer == layer as usize && e.path == wanted && e.kind == Kind::File)
            .ok_or_else(|| HostError::NotFound(format!("layer {layer} wrote no file `{path}`")))?;
        self.0
            .fs
            .read_entry(e, max)
            .map(|d| d.to_vec())
            .map_err(host_error)
    }
}
