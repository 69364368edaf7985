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
    use wasmparser::{Chunk, Payload};
    let invalid = |e: wasmparser::BinaryReaderError| format!("not a valid WebAssembly binary: {e}");
    let truncated = || "not a valid WebAssembly binary: it ends inside a section".to_string();
    // The top level only: a nested module or component is stepped over,
    // not parsed (walking every function body of the built-ins touched
    // megabytes of the binary at each start, for sections only the top
    // level may hold).
    let mut parser = wasmparser::Parser::new(0);
    let mut data = bytes;
    let mut found = None;
    loop {
        let (payload, consumed) = match parser.parse(data, true).map_err(invalid)? {
            Chunk::Parsed { payload, consumed } => (payload, consumed),
            Chunk::NeedMoreData(_) => return Err(truncated()),
        };
        data = &data[consumed..];
        match payload {
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => data = data.get(unchecked_range.len()..).ok_or_else(truncated)?,
            Payload::CodeSectionStart { size, .. } => {
                parser.skip_section();
                data = data.get(size as usize..).ok_or_else(truncated)?;
            }
            Payload::CustomSection(c) if c.name() == SECTION => {
                if c.data().len() > MAX_SECTION_BYTES {
                    return Err(format!("the {SECTION} section is larger than 1 MiB"));
                }
                found = Some(c.data().to_vec());
            }
            Payload::End(_) => break,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The section is read at the top level only, a nested core module's
    /// own section (not plimsoll's to read) stepped over, the last one
    /// winning; a component cut short is an error, not "no metadata".
    #[test]
    fn the_top_level_section_is_read_and_nested_modules_stepped_over() {
        use wasm_encoder::{Component, CustomSection, Module, ModuleSection};
        let mut inner = Module::new();
        inner.section(&CustomSection {
            name: SECTION.into(),
            data: b"{ not plimsoll metadata".into(),
        });
        let mut component = Component::new();
        component.section(&ModuleSection(&inner));
        let bytes = component.finish();
        assert_eq!(read(&bytes), Ok(None));
        let meta = |name: &str| EmbeddedMetadata {
            name: name.into(),
            version: "1.0.0".into(),
            description: String::new(),
            wit_version: "0.1.5".into(),
            rules: vec![],
            settings_schema: None,
            capabilities: vec![],
            checks: vec!["dockerfile".into()],
        };
        let once = annotate(&bytes, &meta("first"));
        assert_eq!(read(&once), Ok(Some(meta("first"))));
        let twice = annotate(&once, &meta("second"));
        assert_eq!(read(&twice), Ok(Some(meta("second"))));
        assert!(read(&twice[..twice.len() - 3]).is_err());
        assert!(read(&bytes[..bytes.len() - 2]).is_err());
    }
}
