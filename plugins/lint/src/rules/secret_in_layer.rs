use plimsoll_plugin_sdk::image::{self, EntryKind};
use plimsoll_plugin_sdk::prelude::*;

use super::secrets::{credential_shape, is_secret_name, mask};
use crate::Ctx;

declare_rule! {
    /// ## What it does
    /// Scans the files of every layer of an image (`plimsoll check --image`)
    /// for credentials: private keys (PEM blocks), tokens with a known shape
    /// (cloud keys, GitHub, GitLab, Slack, npm, PyPI, JWTs...) and secret-named
    /// settings (`API_TOKEN=...`, `password: ...`) in configuration files. Files
    /// a later layer deletes are scanned too: a whiteout hides a file from the
    /// container, not from anyone who pulls the image. The finding names the
    /// layer and path and shows at most the first four characters.
    ///
    /// ## Why is this bad?
    /// Every layer of a pushed image is downloadable on its own; a key copied
    /// in and `rm`-ed in a later step is still there. A leaked test key left in
    /// a layer is a classic breach.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY deploy.key /root/.ssh/id_rsa
    /// RUN ./deploy.sh && rm /root/.ssh/id_rsa
    /// ```
    ///
    /// ## Use instead
    /// ```dockerfile
    /// RUN --mount=type=secret,id=deploy_key,target=/root/.ssh/id_rsa ./deploy.sh
    /// ```
    /// and rotate the leaked credential: removing it from the image does not
    /// un-leak it.
    pub static RULE = Rule {
        id: "PL4009",
        name: "secret-in-layer",
        summary: "A credential is stored in an image layer",
        level: Level::Error,
        tags: &["security", "secrets", "image"],
    };
}

/// An image rule: nothing to check in a Dockerfile.
pub fn check(_ctx: &mut Ctx) {}

/// Files larger than this are not scanned.
const MAX_FILE: u64 = 512 * 1024;
/// Files scanned per image, at most.
const MAX_FILES: usize = 20_000;

/// Paths that hold documentation, sources and test data, not configuration.
fn skipped(path: &str) -> bool {
    const DIRS: &[&str] = &[
        "usr/share/",
        "usr/include/",
        "usr/lib/",
        "usr/lib64/",
        "lib/",
        "lib64/",
        "usr/libexec/",
        "proc/",
        "sys/",
        "var/lib/dpkg/",
        "var/lib/apt/",
        "var/cache/",
        "lib/apk/",
        "usr/local/lib/",
        "usr/src/",
    ];
    DIRS.iter().any(|d| path.starts_with(d))
        || path.contains("/node_modules/")
        || path.contains("/site-packages/")
        || path.contains("/dist-packages/")
        || path.contains("/test/")
        || path.contains("/tests/")
}

/// Where secret-named settings are worth reporting: configuration files.
fn config_like(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    matches!(
        ext,
        "env" | "conf" | "cfg" | "ini" | "properties" | "json" | "yaml" | "yml" | "toml" | "sh"
    ) || matches!(
        name,
        ".env" | ".netrc" | ".npmrc" | ".pypirc" | ".git-credentials" | "credentials"
    ) || path.starts_with("etc/")
        || path.starts_with("root/")
        || path.starts_with("home/")
}

fn placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    v.len() < 8
        || v.contains("${")
        || v.starts_with('<')
        || v.starts_with('$')
        || v.starts_with('%')
        || v.starts_with('{')
        || [
            "changeme",
            "change_me",
            "example",
            "xxxx",
            "****",
            "dummy",
            "placeholder",
            "your_",
            "<your",
        ]
        .iter()
        .any(|p| l.contains(p))
}

/// What one file holds that looks like a credential: (line, kind, value).
pub fn scan_text(path: &str, text: &str) -> Option<(usize, String, String)> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with("-----BEGIN") && t.contains("PRIVATE KEY") {
            return Some((
                i + 1,
                "a private key".into(),
                t.trim_start_matches("-----BEGIN ").into(),
            ));
        }
        for word in
            t.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '=' | ',' | ';' | '`'))
        {
            if let Some(kind) = credential_shape(word) {
                return Some((i + 1, kind.to_string(), word.to_string()));
            }
        }
        if !config_like(path) || t.starts_with('#') || t.starts_with("//") {
            continue;
        }
        let kv = t
            .trim_start_matches("export ")
            .split_once(['=', ':'])
            .map(|(k, v)| {
                (
                    k.trim().trim_matches('"'),
                    v.trim().trim_matches(['"', '\'', ',']),
                )
            });
        if let Some((k, v)) = kv
            && !k.is_empty()
            && !k.contains(char::is_whitespace)
            && is_secret_name(k)
            && !placeholder(v)
        {
            return Some((i + 1, format!("a value for `{k}`"), v.to_string()));
        }
    }
    None
}

/// Scans every layer's files; returns one finding per file holding a secret.
pub fn check_image() -> Result<Vec<Finding>, String> {
    let layers = image::layers().map_err(|e| format!("cannot list the image's layers: {e:?}"))?;
    let mut out = Vec::new();
    let mut scanned = 0;
    for (index, _) in layers.iter().enumerate() {
        let layer = index as u32;
        let entries = image::layer_entries(layer).map_err(|e| format!("layer {layer}: {e:?}"))?;
        for e in entries {
            if e.kind != EntryKind::File || e.size == 0 || e.size > MAX_FILE || skipped(&e.path) {
                continue;
            }
            scanned += 1;
            if scanned > MAX_FILES {
                // Never a silent partial scan: say what was not read.
                out.push(
                    Finding::new(
                        &RULE,
                        format!(
                            "only the first {MAX_FILES} text files of the image's layers were scanned for secrets (up to layer {layer}); the rest were not checked"
                        ),
                    )
                    .in_image("/", Some(layer))
                    .level(Level::Note)
                    .property("partial", true),
                );
                return Ok(out);
            }
            let Ok(bytes) = image::read_layer_file(layer, &e.path, MAX_FILE) else {
                continue;
            };
            if bytes.iter().take(8192).any(|b| *b == 0) {
                continue; // binary
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Some((line, kind, value)) = scan_text(&e.path, &text) {
                let deleted = match e.hidden_by {
                    Some(by) => format!(" (deleted by layer {by}, but still in layer {layer})"),
                    None => String::new(),
                };
                out.push(
                    Finding::new(
                        &RULE,
                        format!(
                            "/{}:{line} in layer {layer} holds {kind} (`{}`){deleted}; rebuild without it and rotate the credential",
                            e.path,
                            mask(&value)
                        ),
                    )
                    .in_image(format!("/{}", e.path), Some(layer))
                    .severity(9.0)
                    .property("layer", layer)
                    .property("deleted", e.hidden_by.is_some()),
                );
            }
        }
    }
    Ok(out)
}
