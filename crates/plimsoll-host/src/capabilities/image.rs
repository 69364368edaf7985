//! `image`: the image of the current `check-image` call.

use std::sync::Arc;

use super::host_error;
use crate::bindings::plimsoll::plugin::image as wimg;
use crate::bindings::plimsoll::plugin::types as wtypes;
use crate::store::StoreState;
use crate::{Capability, ImageEntry, ImageEntryKind, ImageView};

/// Largest file one `read-file` hands a plugin.
const MAX_IMAGE_READ: u64 = 64 << 20;
/// Most entries one `glob` or `layer-entries` returns.
const MAX_IMAGE_ENTRIES: usize = 100_000;

impl StoreState {
    /// Runs `f` on the image of this call, under [`StoreState::host_call`].
    fn with_image<R>(
        &mut self,
        f: impl FnOnce(&dyn ImageView) -> Result<R, wtypes::HostError>,
    ) -> Result<R, wtypes::HostError> {
        self.host_call(Capability::Image, 1, |s| {
            let image: &Arc<dyn ImageView> = s.image.as_ref().ok_or_else(|| {
                wtypes::HostError::NotFound("no image is being checked in this call".into())
            })?;
            f(image.as_ref())
        })
    }
}

fn wit_entry(e: ImageEntry) -> wimg::Entry {
    wimg::Entry {
        path: e.path,
        kind: match e.kind {
            ImageEntryKind::File => wimg::EntryKind::File,
            ImageEntryKind::Directory => wimg::EntryKind::Directory,
            ImageEntryKind::Symlink => wimg::EntryKind::Symlink,
            ImageEntryKind::Hardlink => wimg::EntryKind::Hardlink,
            ImageEntryKind::Other => wimg::EntryKind::Other,
        },
        size: e.size,
        mode: e.mode,
        layer: e.layer,
        link_target: e.link_target,
        hidden_by: e.hidden_by,
    }
}

impl wimg::Host for StoreState {
    fn config(&mut self) -> Result<String, wtypes::HostError> {
        self.with_image(|i| Ok(i.config()))
    }

    fn manifest(&mut self) -> Result<String, wtypes::HostError> {
        self.with_image(|i| Ok(i.manifest()))
    }

    fn layers(&mut self) -> Result<Vec<wimg::Layer>, wtypes::HostError> {
        self.with_image(|i| {
            Ok(i.layers()
                .into_iter()
                .map(|l| wimg::Layer {
                    digest: l.digest,
                    media_type: l.media_type,
                    size: l.size,
                    uncompressed_size: l.uncompressed_size,
                    entries: l.entries,
                })
                .collect())
        })
    }

    fn read_file(&mut self, path: String, max_bytes: u64) -> Result<Vec<u8>, wtypes::HostError> {
        self.with_image(|i| {
            i.read_file(&path, max_bytes.min(MAX_IMAGE_READ))
                .map_err(host_error)
        })
    }

    fn list_dir(&mut self, path: String) -> Result<Vec<wimg::Entry>, wtypes::HostError> {
        self.with_image(|i| entries(i.list_dir(&path)))
    }

    fn glob(&mut self, pattern: String) -> Result<Vec<wimg::Entry>, wtypes::HostError> {
        self.with_image(|i| entries(i.glob(&pattern, MAX_IMAGE_ENTRIES)))
    }

    fn layer_entries(&mut self, layer: u32) -> Result<Vec<wimg::Entry>, wtypes::HostError> {
        self.with_image(|i| entries(i.layer_entries(layer, MAX_IMAGE_ENTRIES)))
    }

    fn read_layer_file(
        &mut self,
        layer: u32,
        path: String,
        max_bytes: u64,
    ) -> Result<Vec<u8>, wtypes::HostError> {
        self.with_image(|i| {
            i.read_layer_file(layer, &path, max_bytes.min(MAX_IMAGE_READ))
                .map_err(host_error)
        })
    }
}

fn entries(
    found: Result<Vec<ImageEntry>, crate::HostError>,
) -> Result<Vec<wimg::Entry>, wtypes::HostError> {
    Ok(found
        .map_err(host_error)?
        .into_iter()
        .map(wit_entry)
        .collect())
}
