//! The one vocabulary of host capabilities: what `capabilities = [...]` in
//! `plimsoll.toml` may grant, what the host vets a plugin's imports against
//! and checks on every call, and what the built-in plugins declare. Each
//! capability is one WIT interface of `plimsoll:plugin` (a test in
//! plimsoll-host checks the WIT's host world against [`Capability::ALL`]).

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A host interface a plugin may import once its config grants it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Capability {
    /// Resolve tags to digests, fetch manifests, list tags (`registry`).
    Registry,
    /// Read the image being checked: config, manifest, layers, files (`image`).
    Image,
    /// Verify signatures of an image reference (`signatures`).
    Signatures,
    /// Query the local OSV vulnerability database (`vulnerabilities`).
    Vulnerabilities,
    /// The installed packages of the image or SBOM being checked, or of
    /// another image (`packages`).
    Packages,
}

impl Capability {
    /// Every capability, in the order the WIT declares them.
    pub const ALL: &'static [Capability] = &[
        Capability::Registry,
        Capability::Image,
        Capability::Signatures,
        Capability::Vulnerabilities,
        Capability::Packages,
    ];

    /// The name in `plimsoll.toml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Registry => "registry",
            Capability::Image => "image",
            Capability::Signatures => "signatures",
            Capability::Vulnerabilities => "vulnerabilities",
            Capability::Packages => "packages",
        }
    }

    /// The WIT interface of `plimsoll:plugin` it grants (the same word).
    pub fn wit_interface(self) -> &'static str {
        self.as_str()
    }

    /// The capability behind an imported interface name (`registry`, or a
    /// full `plimsoll:plugin/registry@0.1.5`).
    pub fn from_import(import: &str) -> Option<Capability> {
        let iface = import
            .strip_prefix("plimsoll:plugin/")
            .unwrap_or(import)
            .split('@')
            .next()
            .unwrap_or("");
        Capability::ALL
            .iter()
            .copied()
            .find(|c| c.wit_interface() == iface)
    }

    /// `registry, image, ...` for messages.
    pub fn known_list() -> String {
        Capability::ALL
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown capability name, with the closest known one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCapability {
    pub name: String,
    pub suggestion: Option<Capability>,
}

impl fmt::Display for UnknownCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown capability `{}` (known: {})",
            self.name,
            Capability::known_list()
        )
    }
}

impl std::error::Error for UnknownCapability {}

impl FromStr for Capability {
    type Err = UnknownCapability;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
                UnknownCapability {
                    name: s.to_string(),
                    suggestion: crate::closest(s, &names).and_then(|n| n.parse().ok()),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Capability::ALL {
            assert_eq!(c.as_str().parse::<Capability>().unwrap(), *c);
            assert_eq!(
                serde_json::to_value(c).unwrap(),
                serde_json::Value::String(c.as_str().into())
            );
            assert_eq!(
                Capability::from_import(&format!("plimsoll:plugin/{}@0.1.4", c.wit_interface())),
                Some(*c)
            );
        }
        assert_eq!(Capability::from_import("plimsoll:plugin/log@0.1.4"), None);
        let e = "pakages".parse::<Capability>().unwrap_err();
        assert_eq!(e.suggestion, Some(Capability::Packages));
    }

    #[test]
    fn schema_lists_every_value() {
        let schema = serde_json::to_value(schemars::schema_for!(Capability)).unwrap();
        let text = schema.to_string();
        for c in Capability::ALL {
            assert!(
                text.contains(&format!("\"{c}\"")),
                "{c} missing from {text}"
            );
        }
    }
}
