//! `packages`: the installed packages of the image or SBOM being checked,
//! or of another image.

use super::host_error;
use crate::Capability;
use crate::bindings::plimsoll::plugin::packages as wpkg;
use crate::bindings::plimsoll::plugin::types as wtypes;
use crate::store::StoreState;

fn wit_inventory(inv: plimsoll_packages::Inventory) -> wpkg::Inventory {
    let os = inv.os.as_ref();
    wpkg::Inventory {
        packages: inv
            .packages
            .iter()
            .map(|p| wpkg::Package {
                kind: p.kind.to_string(),
                name: p.name.clone(),
                version: p.version.clone(),
                source: p.source.clone(),
                source_version: p.source_version.clone(),
                arch: p.arch.clone(),
                license: p.license.clone(),
                location: p.location.clone(),
                purl: plimsoll_packages::purl(p, os),
            })
            .collect(),
        os: inv.os.map(|o| wpkg::OsRelease {
            ecosystem: o.ecosystem(),
            id: o.id,
            version_id: o.version_id,
        }),
        unsupported: inv.unsupported,
    }
}

impl wpkg::Host for StoreState {
    fn installed(&mut self) -> Result<wpkg::Inventory, wtypes::HostError> {
        self.host_call(Capability::Packages, 1, |s| {
            let view = s.image.as_ref().ok_or_else(|| {
                wtypes::HostError::NotFound("no image or SBOM is being checked in this call".into())
            })?;
            view.inventory().map(wit_inventory).map_err(host_error)
        })
    }

    fn of_image(&mut self, reference: String) -> Result<wpkg::Inventory, wtypes::HostError> {
        if reference.len() > 1024 {
            return Err(wtypes::HostError::InvalidInput("reference too long".into()));
        }
        self.host_call(Capability::Packages, 1, |s| {
            s.services()
                .packages()
                .and_then(|p| p.image_inventory(&reference))
                .map(wit_inventory)
                .map_err(host_error)
        })
    }
}
