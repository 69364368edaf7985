//! The image being checked, through the host (needs the `image` capability
//! in config): its config, layers and files, including files later layers
//! deleted. Valid inside [`crate::DockerfilePlugin::check_image`].

pub use crate::bindings::plimsoll::plugin::image::{Entry, EntryKind, Layer};
pub use crate::bindings::plimsoll::plugin::types::HostError;

/// The image config (`config.User`, `config.Env`, `history`...).
pub fn config() -> Result<serde_json::Value, HostError> {
    let text = imp::config()?;
    serde_json::from_str(&text).map_err(|e| HostError::Other(format!("image config: {e}")))
}

/// The layers, bottom first.
pub fn layers() -> Result<Vec<Layer>, HostError> {
    imp::layers()
}

/// A file of the merged filesystem (symlinks followed inside the image).
pub fn read_file(path: &str, max_bytes: u64) -> Result<Vec<u8>, HostError> {
    imp::read_file(path, max_bytes)
}

/// Visible entries matching a glob (`**` crosses `/`).
pub fn glob(pattern: &str) -> Result<Vec<Entry>, HostError> {
    imp::glob(pattern)
}

/// Every entry one layer wrote, deleted later or not.
pub fn layer_entries(layer: u32) -> Result<Vec<Entry>, HostError> {
    imp::layer_entries(layer)
}

/// A file as one layer wrote it.
pub fn read_layer_file(layer: u32, path: &str, max_bytes: u64) -> Result<Vec<u8>, HostError> {
    imp::read_layer_file(layer, path, max_bytes)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub use crate::bindings::plimsoll::plugin::image::{
        config, glob, layer_entries, layers, read_file, read_layer_file,
    };
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;
    use testing::IMAGE;

    fn with<R>(
        f: impl FnOnce(&testing::MockImage) -> Result<R, HostError>,
    ) -> Result<R, HostError> {
        IMAGE.with(|i| match &*i.borrow() {
            Some(img) => f(img),
            None => Err(HostError::NotFound(
                "no image is being checked in this call".into(),
            )),
        })
    }

    pub fn config() -> Result<String, HostError> {
        with(|i| Ok(i.config.to_string()))
    }

    pub fn layers() -> Result<Vec<Layer>, HostError> {
        with(|i| {
            Ok((0..i.layers)
                .map(|l| Layer {
                    digest: format!("sha256:{l:064}"),
                    media_type: "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                    size: 0,
                    uncompressed_size: i
                        .files
                        .iter()
                        .filter(|f| f.0.layer == l)
                        .map(|f| f.0.size)
                        .sum(),
                    entries: i.files.iter().filter(|f| f.0.layer == l).count() as u32,
                })
                .collect())
        })
    }

    pub fn read_file(path: &str, max: u64) -> Result<Vec<u8>, HostError> {
        let path = path.trim_start_matches('/');
        with(|i| {
            i.files
                .iter()
                .rev()
                .find(|f| f.0.path == path && f.0.hidden_by.is_none())
                .map(|f| f.1.iter().take(max as usize).copied().collect())
                .ok_or_else(|| HostError::NotFound(format!("`{path}` is not in the image")))
        })
    }

    pub fn glob(pattern: &str) -> Result<Vec<Entry>, HostError> {
        let prefix = pattern.trim_start_matches('/').trim_end_matches("**");
        with(|i| {
            Ok(i.files
                .iter()
                .filter(|f| f.0.hidden_by.is_none() && f.0.path.starts_with(prefix))
                .map(|f| f.0.clone())
                .collect())
        })
    }

    pub fn layer_entries(layer: u32) -> Result<Vec<Entry>, HostError> {
        with(|i| {
            Ok(i.files
                .iter()
                .filter(|f| f.0.layer == layer)
                .map(|f| f.0.clone())
                .collect())
        })
    }

    pub fn read_layer_file(layer: u32, path: &str, max: u64) -> Result<Vec<u8>, HostError> {
        with(|i| {
            i.files
                .iter()
                .find(|f| f.0.layer == layer && f.0.path == path)
                .map(|f| f.1.iter().take(max as usize).copied().collect())
                .ok_or_else(|| HostError::NotFound(format!("layer {layer} wrote no `{path}`")))
        })
    }
}

/// Native stand-in for unit tests: an in-memory image on this thread.
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use super::*;
    use std::cell::RefCell;

    pub struct MockImage {
        pub config: serde_json::Value,
        pub layers: u32,
        pub files: Vec<(Entry, Vec<u8>)>,
    }

    thread_local! {
        pub(super) static IMAGE: RefCell<Option<MockImage>> = const { RefCell::new(None) };
    }

    /// Makes the [`super`] functions answer from this image: `files` are
    /// (layer, path, contents, deleted-by-layer).
    pub fn set_image(config: serde_json::Value, files: &[(u32, &str, &[u8], Option<u32>)]) {
        let layers = files.iter().map(|f| f.0 + 1).max().unwrap_or(1);
        let files = files
            .iter()
            .map(|(layer, path, data, hidden_by)| {
                (
                    Entry {
                        path: path.to_string(),
                        kind: EntryKind::File,
                        size: data.len() as u64,
                        mode: 0o644,
                        layer: *layer,
                        link_target: None,
                        hidden_by: *hidden_by,
                    },
                    data.to_vec(),
                )
            })
            .collect();
        IMAGE.with(|i| {
            *i.borrow_mut() = Some(MockImage {
                config,
                layers,
                files,
            })
        });
    }
}
