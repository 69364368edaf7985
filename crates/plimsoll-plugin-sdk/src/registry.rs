//! Registry lookups through the host (needs the `registry` capability in config).

pub use crate::bindings::plimsoll::plugin::registry::{
    Manifest, Platform, PlatformManifest, Resolved,
};
pub use crate::bindings::plimsoll::plugin::types::HostError;

impl HostError {
    /// The host's own words, for the variants that carry them (`timeout`
    /// and `rate-limited` carry none: say what timed out yourself).
    pub fn detail(&self) -> Option<&str> {
        match self {
            HostError::Denied(m)
            | HostError::NotFound(m)
            | HostError::Unauthorized(m)
            | HostError::Unavailable(m)
            | HostError::InvalidInput(m)
            | HostError::Other(m) => Some(m),
            HostError::Timeout | HostError::RateLimited(_) => None,
        }
    }
}

/// Resolves a tag or digest reference to its digest (and platforms, for an index).
pub fn resolve(reference: &str) -> Result<Resolved, HostError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::plimsoll::plugin::registry::resolve(reference);
    #[cfg(not(target_arch = "wasm32"))]
    return testing::resolve(reference);
}

/// Resolves several references at once (the host asks the registries
/// concurrently); answers come in order.
pub fn resolve_many(references: &[String]) -> Vec<Result<Resolved, HostError>> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::plimsoll::plugin::registry::resolve_many(references);
    #[cfg(not(target_arch = "wasm32"))]
    return references.iter().map(|r| testing::resolve(r)).collect();
}

/// The verified manifest a reference names.
pub fn fetch_manifest(reference: &str) -> Result<Manifest, HostError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::plimsoll::plugin::registry::fetch_manifest(reference);
    #[cfg(not(target_arch = "wasm32"))]
    return testing::fetch_manifest(reference);
}

/// Tags of a repository.
pub fn list_tags(repository: &str) -> Result<Vec<String>, HostError> {
    #[cfg(target_arch = "wasm32")]
    return crate::bindings::plimsoll::plugin::registry::list_tags(repository);
    #[cfg(not(target_arch = "wasm32"))]
    return testing::list_tags(repository);
}

/// Native stand-in for unit tests: answers from what [`mock`] registered.
#[cfg(not(target_arch = "wasm32"))]
pub mod testing {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    thread_local! {
        static RESOLVED: RefCell<HashMap<String, Result<Resolved, HostError>>> = RefCell::new(HashMap::new());
        static TAGS: RefCell<HashMap<String, Vec<String>>> = RefCell::new(HashMap::new());
        static MANIFESTS: RefCell<HashMap<String, Manifest>> = RefCell::new(HashMap::new());
    }

    /// Makes [`super::fetch_manifest`] answer `reference` with `manifest`.
    pub fn mock_manifest(reference: &str, manifest: Manifest) {
        MANIFESTS.with(|m| m.borrow_mut().insert(reference.to_string(), manifest));
    }

    pub(super) fn fetch_manifest(reference: &str) -> Result<Manifest, HostError> {
        MANIFESTS.with(|m| {
            m.borrow()
                .get(reference)
                .cloned()
                .ok_or_else(|| HostError::NotFound(reference.to_string()))
        })
    }

    /// Makes [`super::resolve`] answer `reference` with `answer` on this thread.
    pub fn mock(reference: &str, answer: Result<Resolved, HostError>) {
        RESOLVED.with(|m| m.borrow_mut().insert(reference.to_string(), answer));
    }

    /// Makes [`super::list_tags`] answer `repository` with `tags` on this thread.
    pub fn mock_tags(repository: &str, tags: &[&str]) {
        TAGS.with(|m| {
            m.borrow_mut().insert(
                repository.to_string(),
                tags.iter().map(|t| t.to_string()).collect(),
            )
        });
    }

    pub(super) fn resolve(reference: &str) -> Result<Resolved, HostError> {
        RESOLVED.with(|m| {
            m.borrow().get(reference).cloned().unwrap_or_else(|| {
                Err(HostError::Unavailable(format!(
                    "no mock registered for {reference}"
                )))
            })
        })
    }

    pub(super) fn list_tags(repository: &str) -> Result<Vec<String>, HostError> {
        TAGS.with(|m| {
            m.borrow()
                .get(repository)
                .cloned()
                .ok_or_else(|| HostError::NotFound(repository.to_string()))
        })
    }
}
