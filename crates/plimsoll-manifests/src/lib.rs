//! Image references outside Dockerfiles: docker-compose files, Kubernetes
//! manifests, GitHub Actions workflows, GitLab CI files and devcontainer.json,
//! each found with the exact bytes it is written in, so a fix can rewrite the
//! reference and nothing else.
//!
//! YAML is read with [libyaml-safer](https://crates.io/crates/libyaml-safer)
//! (libyaml in safe Rust: anchors, multi-document streams, byte marks on every event);
//! devcontainer.json, which is JSON with comments and trailing commas, with
//! [jsonc-parser](https://crates.io/crates/jsonc-parser) (dprint's, byte ranges
//! on every value). Neither rewrites the file: edits are byte ranges of the
//! original text, so comments, quoting and anchors stay as written.

mod compose;
mod extract;
mod yaml;

use std::fmt;

pub use extract::{Options, extract, extract_with};

/// The kinds of file that name images, besides Dockerfiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// docker-compose / Compose spec: `services.*.image`.
    Compose,
    /// Kubernetes manifests: the containers of Pods and of every workload
    /// that templates one.
    Kubernetes,
    /// GitHub Actions workflows: `jobs.*.container`, `jobs.*.services.*`,
    /// `uses: docker://`.
    GithubWorkflow,
    /// GitLab CI: `image` and `services`, top level, `default` and jobs.
    GitlabCi,
    /// Dev Containers: `devcontainer.json`'s `image`.
    Devcontainer,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Compose,
        Kind::Kubernetes,
        Kind::GithubWorkflow,
        Kind::GitlabCi,
        Kind::Devcontainer,
    ];

    /// The name used in the WIT, reports and `--select`-style lists.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Compose => "compose",
            Kind::Kubernetes => "kubernetes",
            Kind::GithubWorkflow => "github-workflow",
            Kind::GitlabCi => "gitlab-ci",
            Kind::Devcontainer => "devcontainer",
        }
    }

    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What a user calls such a file.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Compose => "compose file",
            Kind::Kubernetes => "Kubernetes manifest",
            Kind::GithubWorkflow => "GitHub Actions workflow",
            Kind::GitlabCi => "GitLab CI file",
            Kind::Devcontainer => "devcontainer.json",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A file that cannot be read as its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// Byte offset where the parser stopped.
    pub offset: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// One image reference in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The image the tool pulls: the value with compose variables replaced
    /// by their defaults. Equal to `written` when nothing was replaced, and
    /// when `unresolved` says why it could not be.
    pub reference: String,
    /// The value as the file gives it (YAML or JSON unquoted).
    pub written: String,
    /// The scalar as written, quotes included: where findings point.
    pub span: (usize, usize),
    /// The bytes that hold exactly `written`, where an in-place edit goes;
    /// `None` when the value is not written literally (escapes, folded or
    /// block scalars, a key's default inside a variable).
    pub edit_span: Option<(usize, usize)>,
    /// Where in the file's structure: `services.web.image`,
    /// `spec.template.spec.containers[0].image`.
    pub field: String,
    /// Why `reference` is not the image that will be pulled: a variable
    /// without a default, a CI expression.
    pub unresolved: Option<String>,
}

/// What a manifest holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub kind: Kind,
    /// In file order; a reference written once under a YAML anchor is listed
    /// once, at the first field that uses it.
    pub images: Vec<ImageRef>,
}

/// The kind a file's path says it is, the way Renovate and the tools
/// themselves name them: `compose.yaml`, `docker-compose.prod.yml`,
/// `.github/workflows/*.yml`, `.gitlab-ci.yml`, `devcontainer.json`.
/// Kubernetes manifests have no conventional name: see [`detect_content`].
pub fn detect_name(path: &str) -> Option<Kind> {
    let path = path.replace('\\', "/");
    let name = path.rsplit('/').next().unwrap_or(&path);
    let lower = name.to_ascii_lowercase();
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    if lower == "devcontainer.json" || lower == ".devcontainer.json" {
        return Some(Kind::Devcontainer);
    }
    if !yaml {
        return None;
    }
    if lower.starts_with(".gitlab-ci.")
        || lower.starts_with(".gitlab-ci-")
        || lower.ends_with(".gitlab-ci.yml")
        || lower.ends_with(".gitlab-ci.yaml")
    {
        return Some(Kind::GitlabCi);
    }
    if lower.starts_with("compose") || lower.starts_with("docker-compose") {
        return Some(Kind::Compose);
    }
    let dir = path[..path.len() - name.len()].trim_end_matches('/');
    if dir.ends_with(".github/workflows") || dir == ".github/workflows" {
        return Some(Kind::GithubWorkflow);
    }
    None
}

/// The kind a YAML or JSON file's content says it is, for files whose name
/// says nothing: a document with top-level `apiVersion` and `kind` is
/// Kubernetes; top-level `services` whose entries have `image` or `build` is
/// compose; `on` and `jobs` is a GitHub workflow; JSON with `image`,
/// `dockerFile` or `dockerComposeFile` at the top is a devcontainer.json.
/// GitLab CI files are recognised by name only (their top level is free-form).
pub fn detect_content(text: &str) -> Option<Kind> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with("//") || trimmed.starts_with("/*") {
        let keys = extract::json_top_keys(text)?;
        return keys
            .iter()
            .any(|k| ["image", "dockerFile", "dockerComposeFile", "build"].contains(&k.as_str()))
            .then_some(Kind::Devcontainer);
    }
    let tree = yaml::parse(text).ok()?;
    let mut workflow = false;
    for &doc in &tree.docs {
        let has = |k: &str| tree.get(doc, k).is_some();
        if has("apiVersion") && has("kind") {
            return Some(Kind::Kubernetes);
        }
        if let Some(services) = tree.get(doc, "services")
            && tree.is_map(services)
            && tree
                .entries(services)
                .iter()
                .any(|&(_, s)| tree.get(s, "image").is_some() || tree.get(s, "build").is_some())
        {
            return Some(Kind::Compose);
        }
        if (has("on") || has("true")) && has("jobs") {
            workflow = true;
        }
    }
    workflow.then_some(Kind::GithubWorkflow)
}

/// Whether `path`'s extension is one a manifest can have.
pub fn may_be_manifest(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yml") || lower.ends_with(".yaml") || lower.ends_with(".json")
}
