//! The `image` capability's view of the image a `check-image` call is about
//! (and the `packages.installed` inventory of it).

use super::HostError;

/// One layer of the image being checked (mirrors the WIT `image.layer`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageLayer {
    pub digest: String,
    pub media_type: String,
    pub size: u64,
    pub uncompressed_size: u64,
    pub entries: u32,
}

/// What a filesystem entry is (mirrors the WIT `image.entry-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageEntryKind {
    File,
    Directory,
    Symlink,
    Hardlink,
    Other,
}

/// One entry of the image's filesystem (mirrors the WIT `image.entry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageEntry {
    pub path: String,
    pub kind: ImageEntryKind,
    pub size: u64,
    pub mode: u32,
    pub layer: u32,
    pub link_target: Option<String>,
    pub hidden_by: Option<u32>,
}

/// The image of one `check-image` call, as the `image` capability shows it.
/// Implemented by the caller over its image reader.
pub trait ImageView: Send + Sync {
    fn config(&self) -> String;
    fn manifest(&self) -> String;
    fn layers(&self) -> Vec<ImageLayer>;
    fn read_file(&self, path: &str, max: u64) -> Result<Vec<u8>, HostError>;
    fn list_dir(&self, path: &str) -> Result<Vec<ImageEntry>, HostError>;
    fn glob(&self, pattern: &str, limit: usize) -> Result<Vec<ImageEntry>, HostError>;
    fn layer_entries(&self, layer: u32, limit: usize) -> Result<Vec<ImageEntry>, HostError>;
    fn read_layer_file(&self, layer: u32, path: &str, max: u64) -> Result<Vec<u8>, HostError>;
    /// The installed packages (`packages.installed`): read from the image's
    /// package databases, or listed by an SBOM.
    fn inventory(&self) -> Result<plimsoll_packages::Inventory, HostError>;
}
