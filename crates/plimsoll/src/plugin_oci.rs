//! Plugins distributed through OCI registries, as Kubewarden and Spin ship
//! theirs: one layer `application/vnd.wasm.content.layer.v1+wasm`, config
//! `application/vnd.wasm.config.v1+json`, metadata as manifest annotations.
//! `plimsoll plugin push FILE REF` publishes; `source = "oci://REF"` in
//! plimsoll.toml pulls through the same registry client as everything else
//! (credentials, CA files, cache, `--offline`), verified by digest, and
//! optionally only when signed.

use std::path::Path;
use std::sync::Arc;

use plimsoll_config::LoadedConfig;
use plimsoll_host::{Authority, PluginSource, Services, VerifyError};
use plimsoll_oci::ImageRef;

use crate::cli::GlobalArgs;
use crate::registry::RegistryServices;
use crate::{ExitCode, UsageError};

pub const WASM_LAYER: &str = "application/vnd.wasm.content.layer.v1+wasm";
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v1+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The largest plugin pulled (a componentize-py plugin is ~20 MB).
const MAX_PLUGIN_BYTES: usize = 128 << 20;

/// Pulls the plugin `reference` names (`registry/repo@sha256:...`; a tag is
/// allowed with a warning), checking its signature first when `signature`
/// asks for one.
pub fn pull(
    registry: &RegistryServices,
    reference: &str,
    signature: Option<&toml::Table>,
    base: &Path,
) -> Result<PluginSource, String> {
    let at = format!("oci://{reference}");
    let r = ImageRef::parse(reference).map_err(|e| format!("source `{at}`: {e}"))?;
    let client = registry
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
        match registry.verify_signature(&pinned, &authority) {
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

/// `plimsoll plugin push FILE REF`: annotates the component with its
/// metadata, uploads it as a wasm OCI artifact and prints the digest
/// reference to put in plimsoll.toml.
pub fn push(global: &GlobalArgs, file: &Path, reference: &str) -> anyhow::Result<ExitCode> {
    let reference = reference.strip_prefix("oci://").unwrap_or(reference);
    let r = ImageRef::parse(reference)
        .map_err(|e| UsageError(format!("`{reference}` is not an OCI reference: {e}")))?;
    if r.digest.is_some() {
        return Err(UsageError(format!(
            "`{reference}`: push to a tag (`registry/repo:1.0`); the digest is what you get back"
        ))
        .into());
    }
    let (plugin, annotated) = match crate::plugin_cmds::annotated(global, file)? {
        Ok(x) => x,
        Err(code) => return Ok(code),
    };
    let meta = plugin.metadata();
    let cwd = std::env::current_dir()?;
    let cfg = LoadedConfig::discover(global.config.as_deref(), &cwd)
        .map_err(|e| UsageError(format!("invalid configuration: {e}")))?;
    let registry = RegistryServices::new(crate::registry::options(global, &cfg), true);
    let client = registry
        .client()
        .as_ref()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let repository = r.repository_name();
    let layer = client.push_blob(&repository, &annotated)?;
    let config = serde_json::json!({
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [layer],
        "component": {
            "imports": plugin.imports,
            "exports": meta.checks.iter().map(|c| format!("plimsoll:plugin/{c}-check@{}", meta.wit_version)).collect::<Vec<_>>(),
        },
    });
    let config = serde_json::to_vec(&config)?;
    let config_digest = client.push_blob(&repository, &config)?;
    let mut annotations = serde_json::Map::new();
    for (k, v) in [
        ("org.opencontainers.image.title", meta.name.clone()),
        ("org.opencontainers.image.version", meta.version.clone()),
        (
            "org.opencontainers.image.description",
            meta.description.clone(),
        ),
        ("dev.plimsoll.plugin.wit-version", meta.wit_version.clone()),
        (
            "dev.plimsoll.plugin.rules",
            meta.rules
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            "dev.plimsoll.plugin.capabilities",
            meta.capabilities.join(","),
        ),
    ] {
        annotations.insert(k.into(), v.into());
    }
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": WASM_CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [{
            "mediaType": WASM_LAYER,
            "digest": layer,
            "size": annotated.len(),
            "annotations": {"org.opencontainers.image.title": file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()},
        }],
        "annotations": annotations,
    });
    let body = serde_json::to_vec(&manifest)?;
    let digest = client.push_manifest(reference, &body, OCI_MANIFEST)?;
    let pinned = r.at_digest(&digest);
    crate::diag!(
        "pushed {} {} ({} rules, {} bytes) to {reference}",
        meta.name,
        meta.version,
        meta.rules.len(),
        annotated.len()
    );
    anstream::println!("oci://{pinned}");
    crate::diag!(
        "use it in plimsoll.toml:\n  [[plugins]]\n  name = \"{}\"\n  source = \"oci://{pinned}\"",
        meta.name
    );
    Ok(ExitCode::Ok)
}
