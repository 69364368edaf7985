//! Finding the Dockerfiles to check under the paths given, honouring .gitignore
//! and `exclude` globs.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

/// Whether a file name looks like a Dockerfile: `Dockerfile`, `Containerfile`,
/// `*.Dockerfile`, `*.dockerfile`, `*.Containerfile`, `Dockerfile.*`,
/// `Containerfile.*` (but not `Dockerfile.dockerignore` or notes like `.md`).
pub fn is_dockerfile_name(name: &str) -> bool {
    const NOT: &[&str] = &[
        ".dockerignore",
        ".md",
        ".txt",
        ".orig",
        ".rej",
        ".swp",
        ".bak",
        "~",
        ".j2",
        ".tmpl",
        ".template",
    ];
    if NOT.iter().any(|s| name.ends_with(s)) && !matches!(name, "Dockerfile" | "Containerfile") {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || name.starts_with("Dockerfile.")
        || name.starts_with("Containerfile.")
        || name.starts_with("dockerfile.")
}

#[derive(Debug)]
pub enum DiscoverError {
    NotFound(PathBuf),
    Glob(String),
    Walk(String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::NotFound(p) => write!(f, "path `{}` does not exist", p.display()),
            DiscoverError::Glob(e) => write!(f, "invalid exclude glob: {e}"),
            DiscoverError::Walk(e) => write!(f, "cannot search for Dockerfiles: {e}"),
        }
    }
}

pub fn exclude_set(globs: &[String]) -> Result<GlobSet, DiscoverError> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        b.add(Glob::new(g).map_err(|e| DiscoverError::Glob(e.to_string()))?);
        // `vendor` should also exclude everything under it.
        if !g.ends_with("/**") {
            b.add(
                Glob::new(&format!("{}/**", g.trim_end_matches('/')))
                    .map_err(|e| DiscoverError::Glob(e.to_string()))?,
            );
        }
    }
    b.build().map_err(|e| DiscoverError::Glob(e.to_string()))
}

/// Displayed form of a path: without a leading `./`.
pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

/// Files to check under `paths`. An explicitly named file is always checked; in
/// directories only Dockerfile-like names are. `exclude` is matched against paths
/// relative to `base` (the config's directory) and as given.
pub fn discover(
    paths: &[PathBuf],
    exclude: &GlobSet,
    base: &Path,
) -> Result<Vec<PathBuf>, DiscoverError> {
    let excluded = |p: &Path| {
        let rel = p.strip_prefix(base).unwrap_or(p);
        let shown = PathBuf::from(display_path(p));
        exclude.is_match(rel) || exclude.is_match(&shown)
    };
    let mut out = Vec::new();
    for root in paths {
        if !root.exists() {
            return Err(DiscoverError::NotFound(root.clone()));
        }
        if root.is_file() {
            out.push(root.clone());
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            let entry = entry.map_err(|e| DiscoverError::Walk(e.to_string()))?;
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let name = entry.file_name().to_string_lossy();
            if is_dockerfile_name(&name) && !excluded(entry.path()) {
                out.push(entry.path().to_path_buf());
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for n in [
            "Dockerfile",
            "Containerfile",
            "api.Dockerfile",
            "x.dockerfile",
            "Dockerfile.prod",
            "Containerfile.dev",
        ] {
            assert!(is_dockerfile_name(n), "{n}");
        }
        for n in [
            "Dockerfile.dockerignore",
            "README.md",
            "Dockerfile.md",
            "dockerfile-parser.rs",
            "Makefile",
        ] {
            assert!(!is_dockerfile_name(n), "{n}");
        }
    }
}
