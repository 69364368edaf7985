//! Plugin metadata carried inside the `.wasm` as a custom section (as
//! Kubewarden carries `io.kubewarden.metadata`), so a registry, a reviewer or
//! `plimsoll plugin push` can read what a plugin is without running it.
//! `plimsoll plugin annotate` writes it from what the plugin itself reports;
//! at load the host checks the two still agree.

use serde::{Deserialize, Serialize};

/// The custom section's name.
pub const SECTION: &str = "dev.plimsoll.metadata";

/// The largest section we read.
const MAX_SECTION_BYTES: usize = 1 << 20;

/// One rule as the section lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct RuleMetadata {
    pub id: String,
    pub name: String,
    pub default_level: String,
    pub summary: String,
}

/// What the section holds (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct EmbeddedMetadata {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    /// The `plimsoll:plugin` WIT version the plugin was built against.
    pub wit_version: String,
    pub rules: Vec<RuleMetadata>,
    #[serde(default)]
    pub settings_schema: Option<serde_json::Value>,
    /// Capabilities its imports ask for (`registry`, `signatures`, ...).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// Which checks it exports: `dockerfile`, `image`.
    #[serde(default)]
    pub checks: Vec<String>,
}

impl EmbeddedMetadata {
    /// The section's payload.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("metadata serialises")
    }
}

/// Reads the last top-level `dev.plimsoll.metadata` section of a component
/// (nested core modules are not looked into). `Ok(None)` when there is none.
pub fn read(bytes: &[u8]) -> Result<Option<EmbeddedMetadata>, String> {
    let mut depth = 0usize;
    let mut found = None;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| format!("not a valid WebAssembly binary: {e}"))?;
        match payload {
            wasmparser::Payload::Version { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            wasmparser::Payload::CustomSection(c) if depth == 1 && c.name() == SECTION => {
                if c.data().len() > MAX_SECTION_BYTES {
                    return Err(format!("the {SECTION} section is larger than 1 MiB"));
                }
                found = Some(c.data().to_vec());
            }
            _ => {}
        }
    }
    found
        .map(|data| {
            serde_json::from_slice(&data)
                .map_err(|e| format!("the {SECTION} section is not plimsoll metadata: {e}"))
        })
        .transpose()
}

/// `bytes` with `meta` appended as a top-level custom section. A section
/// already there is left in place: readers take the last one.
pub fn annotate(bytes: &[u8], meta: &EmbeddedMetadata) -> Vec<u8> {
    use wasm_encoder::{ComponentSection, CustomSection, Encode};
    let data = meta.to_json();
    let section = CustomSection {
        name: SECTION.into(),
        data: data.as_slice().into(),
    };
    let mut out = Vec::with_capacity(bytes.len() + data.len() + 32);
    out.extend_from_slice(bytes);
    out.push(ComponentSection::id(&section));
    section.encode(&mut out);
    out
}
