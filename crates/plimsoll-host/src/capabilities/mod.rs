//! The host side of each WIT interface a plugin may import: one module per
//! interface, as wasmtime's `p2/host/<interface>.rs`.

mod image;
mod log;
mod packages;
mod registry;
mod signatures;
mod vulnerabilities;

use crate::HostError;
use crate::bindings::plimsoll::plugin::types as wtypes;

pub(crate) fn host_error(e: HostError) -> wtypes::HostError {
    match e {
        HostError::Denied(m) => wtypes::HostError::Denied(m),
        HostError::NotFound(m) => wtypes::HostError::NotFound(m),
        HostError::Unauthorized(m) => wtypes::HostError::Unauthorized(m),
        HostError::Unavailable(m) => wtypes::HostError::Unavailable(m),
        HostError::Timeout => wtypes::HostError::Timeout,
        HostError::RateLimited(s) => wtypes::HostError::RateLimited(s),
        HostError::InvalidInput(m) => wtypes::HostError::InvalidInput(m),
        HostError::Other(m) => wtypes::HostError::Other(m),
    }
}
