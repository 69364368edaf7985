//! The host's OSV database (needs the `vulnerabilities` capability in
//! config): the records of one package in one ecosystem. Matching an
//! inventory against them by each ecosystem's version order is
//! `plimsoll_analysis::osv`.

pub use crate::bindings::plimsoll::plugin::types::HostError;
pub use crate::bindings::plimsoll::plugin::vulnerabilities::{
    AffectedRange, RangeEvent, Vulnerability,
};

/// The records of `name` in `ecosystem` (`Debian:12`, `PyPI`); an ecosystem
/// the database does not hold answers `not-found`.
pub fn query(ecosystem: &str, name: &str) -> Result<Vec<Vulnerability>, HostError> {
    imp::query(ecosystem, name)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    pub use crate::bindings::plimsoll::plugin::vulnerabilities::query;
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::*;

    pub fn query(ecosystem: &str, name: &str) -> Result<Vec<Vulnerability>, HostError> {
        testing::RECORDS.with(|r| {
            let r = r.borrow();
            if !r.iter().any(|(e, _, _)| e == ecosystem) {
                return Err(HostError::NotFound(format!(
                    "no vulnerability data for {ecosystem}"
                )));
            }
            Ok(r.iter()
                .filter(|(e, n, _)| e == ecosystem && n == name)
                .map(|(_, _, v)| v.clone())
                .collect())
        })
    }
}

/// Native stand-in for unit tests: the records `vulnerabilities.query`
/// answers on this thread.
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use std::cell::RefCell;

    use super::Vulnerability;

    thread_local! {
        pub(super) static RECORDS: RefCell<Vec<(String, String, Vulnerability)>> = const { RefCell::new(Vec::new()) };
    }

    /// Adds a record for `name` in `ecosystem` (an ecosystem with no record
    /// answers `not-found`, as a missing database does).
    pub fn add_record(ecosystem: &str, name: &str, v: Vulnerability) {
        RECORDS.with(|r| {
            r.borrow_mut()
                .push((ecosystem.to_string(), name.to_string(), v))
        });
    }

    pub fn clear() {
        RECORDS.with(|r| r.borrow_mut().clear());
    }
}
