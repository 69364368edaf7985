//! Plugins distributed through OCI registries, as Kubewarden and Spin ship
//! theirs: one layer `application/vnd.wasm.content.layer.v1+wasm`, config
//! `application/vnd.wasm.config.v1+json`, metadata as manifest annotations.
//! `plimsoll plugin push FILE REF` publishes (`commands/plugin.rs`);
//! `source = "oci://REF"` in plimsoll.toml pulls (here) through the same
//! registry client as everything else (credentials, CA files, cache,
//! `--offline`), verified by digest, and optionally only when signed.

use std::path::Path;
use std::sync::Arc;

use plimsoll_host::{Authority, PluginSource, SignatureService, VerifyError, VerifyOptions};
use plimsoll_oci::ImageRef;

use plimsoll_services::RunServices;

pub const WASM_LAYER: &str = "application/vnd.wasm.content.layer.v1+wasm";
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v1+json";
pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The largest plugin pulled (a componentize-py plugin is ~20 MB).
const MAX_PLUGIN_BYTES: usize = 128 << 20;

/// Pulls the plugin `reference` names (`registry/repo@sha256:...`; a tag is
/// allowed with a warning), checking its signature first when `signature`
/// asks for one.
pub fn pull(
    services: &RunServices,
    reference: &str,
    signature: Option<&toml::Table>,
    base: &Path,
) -> Result<PluginSource, String> {
    let at = format!("oci://{reference}");
    let r = ImageRef::parse(reference).map_err(|e| format!("source `{at}`: {e}"))?;
    let client = services
        .registry()
        .client()
        .as_ref()
        .map_err(|e| format!("source `{at}`: {e}"))?;
    let fetched = client
        .manifest(reference)
        .map_err(|e| format!("cannot pull `{at}`: {e}"))?;
    let pinned = r.at_digest(&fetched.digest).to_string();
    if r.digest.is_none() {
        crate::diag!(
            "plimsoll: warning: plugin source `{at}` is a tag, which can be moved to other code; pin it: source = \"oci://{pinned}\""
        );
    }
    if let Some(sig) = signature {
        let authority = authority(sig, base)?;
        match services
            .signatures()
            .verify(&pinned, &authority, &VerifyOptions::default())
        {
            Ok(_) => {}
            Err(VerifyError::Failed { kind, message }) => {
                return Err(format!(
                    "`{at}` is not signed as its `signature` requires; refusing to load it: {message} ({kind})"
                ));
            }
            Err(VerifyError::Host(e)) => {
                return Err(format!(
                    "`{at}`: its signature could not be checked, so it is not loaded: {e}"
                ));
            }
        }
    }
    let manifest: serde_json::Value = serde_json::from_slice(&fetched.body)
        .map_err(|e| format!("`{at}`: the manifest is not JSON: {e}"))?;
    let layers: Vec<&serde_json::Value> = manifest["layers"]
        .as_array()
        .map(|l| l.iter().filter(|l| l["mediaType"] == WASM_LAYER).collect())
        .unwrap_or_default();
    let [layer] = layers.as_slice() else {
        return Err(format!(
            "`{at}` is not a plimsoll plugin: its manifest ({}) has {} `{WASM_LAYER}` layers, not one",
            fetched.media_type,
            layers.len()
        ));
    };
    let digest = layer["digest"]
        .as_str()
        .ok_or_else(|| format!("`{at}`: the wasm layer has no digest"))?;
    let bytes = client
        .blob(&r.repository_name(), digest, MAX_PLUGIN_BYTES)
        .map_err(|e| format!("cannot pull the wasm layer of `{at}`: {e}"))?;
    Ok(PluginSource::Bytes(
        Arc::new(bytes),
        format!("oci://{pinned}"),
    ))
}

/// A plugin entry's `signature` table as a host authority; files are read
/// relative to the config file.
fn authority(t: &toml::Table, base: &Path) -> Result<Authority, String> {
    let read = |v: &str, what: &str, inline: &str| -> Result<String, String> {
        if v.trim_start().starts_with(inline) {
            return Ok(v.to_string());
        }
        std::fs::read_to_string(base.join(v)).map_err(|e| {
            format!(
                "`signature`: cannot read {what} {}: {e}",
                base.join(v).display()
            )
        })
    };
    match (t.get("key"), t.get("keyless")) {
        (Some(toml::Value::String(k)), None) => Ok(Authority::Key {
            pem: read(k, "key", "-----BEGIN")?,
            docker_reference: None,
        }),
        (None, Some(toml::Value::Table(k))) => {
            let s = |key: &str| k.get(key).and_then(|v| v.as_str()).map(str::to_string);
            let (identity, identity_is_regex) = match (s("identity"), s("identity-regex")) {
                (Some(i), None) => (i, false),
                (None, Some(i)) => (i, true),
                _ => return Err("`signature.keyless` needs one of `identity` or `identity-regex`".into()),
            };
            let (issuer, issuer_is_regex) = match (s("issuer"), s("issuer-regex")) {
                (Some(i), None) => (i, false),
                (None, Some(i)) => (i, true),
                _ => return Err("`signature.keyless` needs one of `issuer` or `issuer-regex`".into()),
            };
            let root = s("trusted-root")
                .ok_or("`signature.keyless` needs `trusted-root` (a Sigstore trusted_root.json)")?;
            Ok(Authority::Keyless {
                identity,
                identity_is_regex,
                issuer,
                issuer_is_regex,
                trusted_root: read(&root, "trusted root", "{")?,
            })
        }
        _ => Err("`signature` must be `{ key = \"keys/cosign.pub\" }` or `{ keyless = { identity = ..., issuer = ..., trusted-root = ... } }`".into()),
    }
}
