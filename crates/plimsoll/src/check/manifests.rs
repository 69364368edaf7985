//! Checking manifests: compose files, Kubernetes manifests, GitHub
//! workflows, GitLab CI files and devcontainer.json. The host finds their
//! image references (`plimsoll-manifests`); plugins that check the kind
//! (`manifest-check`) report on them; fixes are applied like a Dockerfile's,
//! and refused when the result would not read as the same kind of file.

use plimsoll_host::ManifestTarget;
use plimsoll_manifests::Kind;
use plimsoll_report::{Finding, RunError};

use super::{Engine, FileResult, call_plugin};
use crate::suppress::Suppressions;

/// The manifest kind of a file that is not a Dockerfile: by its name, else
/// (for YAML and JSON files) by its content.
pub fn kind_of(path: &str, bytes: &[u8]) -> Option<Kind> {
    if let Some(k) = plimsoll_manifests::detect_name(path) {
        return Some(k);
    }
    if !plimsoll_manifests::may_be_manifest(path) {
        return None;
    }
    plimsoll_manifests::detect_content(std::str::from_utf8(bytes).ok()?)
}

/// `check --images-from FILE`: the images a manifest names, in file order,
/// each once. A file that is no manifest, does not parse, or names an image
/// that is not known until it is used is a usage error naming it.
pub fn images_from(file: &std::path::Path) -> Result<Vec<String>, crate::UsageError> {
    let shown = file.display();
    let usage = |m: String| crate::UsageError(format!("`--images-from {shown}`: {m}"));
    let bytes = std::fs::read(file).map_err(|e| usage(e.to_string()))?;
    let kind = kind_of(&file.to_string_lossy(), &bytes).ok_or_else(|| {
        usage("not a compose file, Kubernetes manifest, GitHub workflow, GitLab CI file or devcontainer.json".into())
    })?;
    let text = String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes));
    let m = plimsoll_manifests::extract(kind, &text).map_err(|e| {
        usage(format!(
            "this {} does not parse: {e} (line {})",
            kind.describe(),
            plimsoll_dockerfile::LineIndex::new(&text)
                .position(&text, e.offset)
                .line
        ))
    })?;
    let mut out: Vec<String> = Vec::new();
    for i in m.images {
        if let Some(why) = i.unresolved {
            return Err(usage(format!(
                "`{}` ({}) cannot be checked: {why}",
                i.reference, i.field
            )));
        }
        if !out.contains(&i.reference) {
            out.push(i.reference);
        }
    }
    Ok(out)
}

impl Engine {
    /// Runs every plugin that checks `kind` on one manifest.
    fn manifest_findings(
        &self,
        target: &ManifestTarget,
        path: &str,
        errors: &mut Vec<RunError>,
    ) -> (Vec<Finding>, usize) {
        // Ignore comments on the lines directly above a reference, as in a
        // Dockerfile (`# plimsoll: ignore=PL6001`).
        let line = |o: usize| target.lines.position(&target.text, o).line;
        let units: Vec<(u32, u32)> = target
            .manifest
            .images
            .iter()
            .map(|i| (line(i.span.0), line(i.span.1)))
            .collect();
        let sup = Suppressions::from_text(&target.text, &units, self.inline_ignores);
        let mut kept = Vec::new();
        let mut suppressed = 0;
        for f in self.disallowed_pragmas(&sup, path, &target.text) {
            self.keep(f, path, |_, _| false, &mut kept, &mut suppressed);
        }
        for p in self.plugins() {
            if !p.rules.iter().any(|r| self.selection.enabled(r)) {
                continue;
            }
            let found = match call_plugin(p, path, || self.host.check_manifest(p, target, path)) {
                Ok(f) => f,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for f in found {
                self.keep(f, path, |f, r| sup.covers(f, r), &mut kept, &mut suppressed);
            }
        }
        (kept, suppressed)
    }

    /// Checks a manifest's bytes; `fix` as for [`Engine::check_bytes`].
    pub(super) fn check_manifest_bytes(
        &self,
        kind: Kind,
        path: String,
        bytes: Vec<u8>,
        fix: Option<(bool, Option<&std::path::Path>)>,
    ) -> FileResult {
        let mut res = FileResult {
            path: path.clone(),
            ..Default::default()
        };
        let had_bom = bytes.starts_with(b"\xEF\xBB\xBF");
        let body = if had_bom { &bytes[3..] } else { &bytes[..] };
        let Ok(text) = std::str::from_utf8(body) else {
            res.errors.push(RunError {
                kind: "target-unreadable".into(),
                plugin: None,
                target: Some(path.clone()),
                message: format!(
                    "{path} is not UTF-8 text, so it cannot be a {}",
                    kind.describe()
                ),
                line: None,
            });
            return res;
        };
        let text = text.to_string();
        let mut target = match ManifestTarget::parse(kind, text.clone(), &self.manifest_options) {
            Ok(t) => t,
            Err(e) => {
                let rule = "PL0004";
                if let Some(r) = self.rules.get(rule)
                    && let Some(level) = self.selection.decide(r, r.default_level, &path)
                    && let Some(mut f) = self.host_finding(
                        rule,
                        &path,
                        &text,
                        (e.offset, e.offset),
                        format!("this {} does not parse: {}", kind.describe(), e.message),
                    )
                {
                    f.level = level;
                    res.findings.push(f);
                }
                res.text = Some(text);
                return res;
            }
        };
        tracing::debug!(
            "{path}: {} with {} image references",
            kind,
            target.manifest.images.len()
        );
        let mut errors = Vec::new();
        (res.findings, res.suppressed) = self.manifest_findings(&target, &path, &mut errors);
        res.errors = errors;
        if let Some((unsafe_fixes, file)) = fix {
            let fields = |t: &ManifestTarget| -> Vec<String> {
                t.manifest.images.iter().map(|i| i.field.clone()).collect()
            };
            target = self.fix_rounds(
                &path,
                target,
                |t| &t.text,
                |old, text| {
                    let new = ManifestTarget::parse(kind, text, &self.manifest_options)
                        .map_err(|e| format!("the result would not parse ({e})"))?;
                    if fields(&new) != fields(old) {
                        return Err("the result would not name images in the same places".into());
                    }
                    Ok(new)
                },
                |t, errors| self.manifest_findings(t, &path, errors),
                unsafe_fixes,
                file.map(|f| (f, had_bom)),
                &mut res,
            );
        }
        res.text = Some(target.text);
        res
    }
}
