//! The `packages` capability's `of-image`: the installed packages of an
//! image a plugin names (a base image, say), read once per run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use plimsoll_host::{HostError, PackageService};

use crate::registry::RegistryAccess;

type InventorySlot = Arc<OnceLock<Result<plimsoll_packages::Inventory, HostError>>>;

/// Inventories of the images plugins asked about.
pub struct ImageInventories {
    registry: Arc<RegistryAccess>,
    inventories: Mutex<HashMap<String, InventorySlot>>,
}

impl ImageInventories {
    pub fn new(registry: Arc<RegistryAccess>) -> ImageInventories {
        ImageInventories {
            registry,
            inventories: Mutex::default(),
        }
    }
}

impl PackageService for ImageInventories {
    /// Pulls and reads the image once per run, for the default platform.
    fn image_inventory(&self, reference: &str) -> Result<plimsoll_packages::Inventory, HostError> {
        if !matches!(
            plimsoll_oci::ImageSource::parse(reference),
            plimsoll_oci::ImageSource::Registry(_)
        ) {
            return Err(HostError::InvalidInput(format!(
                "`{reference}`: plugins may ask about registry images only"
            )));
        }
        let slot = self
            .inventories
            .lock()
            .unwrap()
            .entry(reference.to_string())
            .or_default()
            .clone();
        slot.get_or_init(|| {
            let image = self.registry.open_image(reference, None).map_err(|e| {
                HostError::Unavailable(format!("cannot read image {reference}: {e}"))
            })?;
            crate::image_view::inventory(&image)
                .map_err(|e| HostError::Other(format!("image {reference}: {e}")))
        })
        .clone()
    }
}
