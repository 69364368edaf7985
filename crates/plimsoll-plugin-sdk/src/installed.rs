//! The packages installed in what is being checked, read by the host (needs
//! the `packages` capability in config): an image's package databases, or
//! the SBOM given to `plimsoll check --sbom`. Valid inside
//! [`crate::DockerfilePlugin::check_image`].

pub use crate::bindings::plimsoll::plugin::packages::{Inventory, OsRelease, Package};
pub use crate::bindings::plimsoll::plugin::types::HostError;

/// The packages of the image or SBOM being checked.
pub fn packages() -> Result<Inventory, HostError> {
    imp::installed()
}

/// The packages of another registry image (pin it by digest), pulled and
/// read by the host once per run.
pub fn of_image(reference: &str) -> Result<Inventory, HostError> {
    imp::of_image(reference)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub use crate::bindings::plimsoll::plugin::packages::{installed, of_image};
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;

    pub fn installed() -> Result<Inventory, HostError> {
        testing::INSTALLED.with(|i| {
            i.borrow().clone().ok_or_else(|| {
                HostError::NotFound("no image or SBOM is being checked in this call".into())
            })
        })
    }

    pub fn of_image(reference: &str) -> Result<Inventory, HostError> {
        testing::OTHERS.with(|o| {
            o.borrow()
                .iter()
                .find(|(r, _)| r == reference)
                .map(|(_, i)| i.clone())
                .ok_or_else(|| HostError::NotFound(format!("{reference}: no such image")))
        })
    }
}

/// Native stand-ins for unit tests: what `packages()` and `of_image()`
/// answer on this thread.
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use std::cell::RefCell;

    use super::Inventory;

    thread_local! {
        pub(super) static INSTALLED: RefCell<Option<Inventory>> = const { RefCell::new(None) };
        pub(super) static OTHERS: RefCell<Vec<(String, Inventory)>> = const { RefCell::new(Vec::new()) };
    }

    /// What `packages()` answers (`None`: not inside a check).
    pub fn set_installed(inventory: Option<Inventory>) {
        INSTALLED.with(|i| *i.borrow_mut() = inventory);
    }

    /// What `of_image(reference)` answers.
    pub fn add_image(reference: &str, inventory: Inventory) {
        OTHERS.with(|o| o.borrow_mut().push((reference.to_string(), inventory)));
    }
}
