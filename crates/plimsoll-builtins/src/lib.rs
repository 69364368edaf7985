//! plimsoll's built-in plugins. They are ordinary components built from
//! `plugins/*` for `wasm32-wasip2` by this crate's build script: no built-in gets a
//! private door into the host.

pub use plimsoll_config::Capability;

/// One embedded plugin, with the capabilities it is granted: declared here
/// as data (in `build.rs`), as a `[[plugins]]` entry declares them for any
/// other plugin.
#[derive(Debug, Clone, Copy)]
pub struct Builtin {
    /// The name it runs under (`lint`).
    pub name: &'static str,
    /// The component.
    pub wasm: &'static [u8],
    /// Its sha256 (hex), computed by the build script.
    pub sha256: &'static str,
    /// Granted in every run.
    pub capabilities: &'static [Capability],
    /// Granted only when the run has vulnerability data; without it the
    /// plugin's calls to them answer `denied` (an optional feature).
    pub with_vulnerability_data: &'static [Capability],
    /// It has rules for `--image` targets.
    pub checks_images: bool,
    /// It has rules for Dockerfiles.
    pub checks_dockerfiles: bool,
}

impl Builtin {
    /// What this run grants it.
    pub fn grants(&self, vulnerability_data: bool) -> Vec<Capability> {
        let mut caps = self.capabilities.to_vec();
        if vulnerability_data {
            caps.extend(self.with_vulnerability_data);
        }
        caps
    }
}

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// The built-in plugin called `name`.
pub fn get(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

#[cfg(test)]
mod tests {
    use sha2::Digest;

    /// The host trusts the embedded sha256 instead of hashing the component
    /// at every start: it must be the component's.
    #[test]
    fn embedded_sha256_is_the_components() {
        for b in super::BUILTINS {
            assert_eq!(
                b.sha256,
                hex::encode(sha2::Sha256::digest(b.wasm)),
                "{}",
                b.name
            );
        }
    }
}
